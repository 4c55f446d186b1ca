"""Web consoles and the JSON API (coming): the admin and registrar applications."""
