-- Rotation in one statement (see Store::rotate_refresh_tokens): inserting a
-- successor retires its parent. PostgreSQL does the same with a
-- data-modifying CTE and needs no trigger.
CREATE TRIGGER refresh_tokens_retire_parent
AFTER INSERT ON refresh_tokens
WHEN NEW.parent IS NOT NULL
BEGIN
    UPDATE refresh_tokens SET rotated_at = NEW.issued_at, successor = NEW.jti
    WHERE jti = NEW.parent;
END;
