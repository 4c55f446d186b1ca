"""EPP result codes (RFC 5730 section 3), each with the RFC's exact message text.

Code and callers use the names (`ResultCode.OBJECT_EXISTS`), never bare numbers.
"""

from __future__ import annotations

from enum import IntEnum


class ResultCode(IntEnum):
    # 1xxx: success
    SUCCESS = 1000
    SUCCESS_ACTION_PENDING = 1001
    NO_MESSAGES = 1300
    ACK_TO_DEQUEUE = 1301
    SUCCESS_ENDING_SESSION = 1500
    # 20xx: protocol syntax
    UNKNOWN_COMMAND = 2000
    COMMAND_SYNTAX_ERROR = 2001
    COMMAND_USE_ERROR = 2002
    REQUIRED_PARAMETER_MISSING = 2003
    PARAMETER_VALUE_RANGE_ERROR = 2004
    PARAMETER_VALUE_SYNTAX_ERROR = 2005
    # 21xx: implementation-specific rules
    UNIMPLEMENTED_PROTOCOL_VERSION = 2100
    UNIMPLEMENTED_COMMAND = 2101
    UNIMPLEMENTED_OPTION = 2102
    UNIMPLEMENTED_EXTENSION = 2103
    BILLING_FAILURE = 2104
    OBJECT_NOT_ELIGIBLE_FOR_RENEWAL = 2105
    OBJECT_NOT_ELIGIBLE_FOR_TRANSFER = 2106
    # 22xx: security
    AUTHENTICATION_ERROR = 2200
    AUTHORIZATION_ERROR = 2201
    INVALID_AUTHORIZATION_INFORMATION = 2202
    # 23xx: data management
    OBJECT_PENDING_TRANSFER = 2300
    OBJECT_NOT_PENDING_TRANSFER = 2301
    OBJECT_EXISTS = 2302
    OBJECT_DOES_NOT_EXIST = 2303
    OBJECT_STATUS_PROHIBITS_OPERATION = 2304
    OBJECT_ASSOCIATION_PROHIBITS_OPERATION = 2305
    PARAMETER_VALUE_POLICY_ERROR = 2306
    UNIMPLEMENTED_OBJECT_SERVICE = 2307
    DATA_MANAGEMENT_POLICY_VIOLATION = 2308
    # 24xx / 25xx: server system
    COMMAND_FAILED = 2400
    COMMAND_FAILED_SERVER_CLOSING_CONNECTION = 2500
    AUTHENTICATION_ERROR_SERVER_CLOSING_CONNECTION = 2501
    SESSION_LIMIT_EXCEEDED_SERVER_CLOSING_CONNECTION = 2502

    @property
    def message(self) -> str:
        """The RFC 5730 text for <msg> (language "en")."""
        return _MESSAGES[self]

    @property
    def is_success(self) -> bool:
        return self < 2000

    @property
    def closes_session(self) -> bool:
        """After 1500 and every 25xx the server closes the connection (RFC 5730 section 3)."""
        return self == ResultCode.SUCCESS_ENDING_SESSION or 2500 <= self < 2600


_MESSAGES: dict[ResultCode, str] = {
    ResultCode.SUCCESS: "Command completed successfully",
    ResultCode.SUCCESS_ACTION_PENDING: "Command completed successfully; action pending",
    ResultCode.NO_MESSAGES: "Command completed successfully; no messages",
    ResultCode.ACK_TO_DEQUEUE: "Command completed successfully; ack to dequeue",
    ResultCode.SUCCESS_ENDING_SESSION: "Command completed successfully; ending session",
    ResultCode.UNKNOWN_COMMAND: "Unknown command",
    ResultCode.COMMAND_SYNTAX_ERROR: "Command syntax error",
    ResultCode.COMMAND_USE_ERROR: "Command use error",
    ResultCode.REQUIRED_PARAMETER_MISSING: "Required parameter missing",
    ResultCode.PARAMETER_VALUE_RANGE_ERROR: "Parameter value range error",
    ResultCode.PARAMETER_VALUE_SYNTAX_ERROR: "Parameter value syntax error",
    ResultCode.UNIMPLEMENTED_PROTOCOL_VERSION: "Unimplemented protocol version",
    ResultCode.UNIMPLEMENTED_COMMAND: "Unimplemented command",
    ResultCode.UNIMPLEMENTED_OPTION: "Unimplemented option",
    ResultCode.UNIMPLEMENTED_EXTENSION: "Unimplemented extension",
    ResultCode.BILLING_FAILURE: "Billing failure",
    ResultCode.OBJECT_NOT_ELIGIBLE_FOR_RENEWAL: "Object is not eligible for renewal",
    ResultCode.OBJECT_NOT_ELIGIBLE_FOR_TRANSFER: "Object is not eligible for transfer",
    ResultCode.AUTHENTICATION_ERROR: "Authentication error",
    ResultCode.AUTHORIZATION_ERROR: "Authorization error",
    ResultCode.INVALID_AUTHORIZATION_INFORMATION: "Invalid authorization information",
    ResultCode.OBJECT_PENDING_TRANSFER: "Object pending transfer",
    ResultCode.OBJECT_NOT_PENDING_TRANSFER: "Object not pending transfer",
    ResultCode.OBJECT_EXISTS: "Object exists",
    ResultCode.OBJECT_DOES_NOT_EXIST: "Object does not exist",
    ResultCode.OBJECT_STATUS_PROHIBITS_OPERATION: "Object status prohibits operation",
    ResultCode.OBJECT_ASSOCIATION_PROHIBITS_OPERATION: "Object association prohibits operation",
    ResultCode.PARAMETER_VALUE_POLICY_ERROR: "Parameter value policy error",
    ResultCode.UNIMPLEMENTED_OBJECT_SERVICE: "Unimplemented object service",
    ResultCode.DATA_MANAGEMENT_POLICY_VIOLATION: "Data management policy violation",
    ResultCode.COMMAND_FAILED: "Command failed",
    ResultCode.COMMAND_FAILED_SERVER_CLOSING_CONNECTION: "Command failed; server closing connection",
    ResultCode.AUTHENTICATION_ERROR_SERVER_CLOSING_CONNECTION: "Authentication error; server closing connection",
    ResultCode.SESSION_LIMIT_EXCEEDED_SERVER_CLOSING_CONNECTION: "Session limit exceeded; server closing connection",
}
