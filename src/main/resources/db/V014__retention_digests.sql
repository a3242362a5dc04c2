-- The retention clean-up walks old digests oldest first (resolved alerts are few: no index needed).
CREATE INDEX digests_created ON digests (created_at);
