-- Publishing after a principal budget changes finds that principal's active keys
-- (src/control-plane/publish.ts); without this index that is a scan of every key.
CREATE INDEX virtual_keys_principal ON virtual_keys(principal_id) WHERE principal_id IS NOT NULL;
