-- The admin console's audit search finds an object's history by its name.
CREATE INDEX history_object_name ON history (object_name, id);
