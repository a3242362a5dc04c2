-- Cluster: singleton job leases and the directory of running nodes.

-- A job that must run on one node at a time (the scheduler, the health monitor) runs only while
-- its node holds the job's lease here. The holder renews it; when it stops renewing (the node died
-- or lost the database), another node takes the lease once expires_at has passed.
CREATE TABLE job_leases (
  name       text PRIMARY KEY,
  owner      text NOT NULL,
  expires_at timestamptz NOT NULL,
  taken_at   timestamptz NOT NULL DEFAULT now()
);

-- Each running node writes its row every few seconds (and removes it when it stops cleanly), so
-- any node can answer /v1/stats for the whole cluster. A row not refreshed for a while belongs
-- to a node that died.
CREATE TABLE nodes (
  node_id        text PRIMARY KEY,
  cluster_member text,
  address        text,
  started_at     timestamptz NOT NULL,
  seen_at        timestamptz NOT NULL,
  sockets        integer NOT NULL DEFAULT 0,
  draining       boolean NOT NULL DEFAULT false,
  fanout         jsonb
);
