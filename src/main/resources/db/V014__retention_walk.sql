-- The retention clean-up walks each table oldest first in (time, key) order and carries on from
-- the last row it looked at. With the time alone in the index, a batch starting inside a group of
-- rows that share one time (a "mark all read" stamps thousands with the same read_at) would read
-- the rest of the group again, batch after batch: the indexes carry the whole key. V012's
-- time-only indexes are replaced (the stats windows use delivery_attempts_started by its first
-- column as before). Resolved alerts are few: no index needed.
DROP INDEX notifications_read;
CREATE INDEX notifications_read ON notifications (read_at, id) WHERE read_at IS NOT NULL;
DROP INDEX notifications_deleted;
CREATE INDEX notifications_deleted ON notifications (deleted_at, id) WHERE deleted_at IS NOT NULL;
DROP INDEX delivery_attempts_started;
CREATE INDEX delivery_attempts_started ON delivery_attempts (started_at, delivery_id, attempt);
CREATE INDEX digests_created ON digests (created_at, id);
