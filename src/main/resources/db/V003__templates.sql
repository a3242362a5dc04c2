-- Templates turn a domain event into what each channel says. Every save writes a new row in
-- template_versions and never changes an old one: a notification made from a template records
-- its name and version, so editing (or deleting) a template never changes what it already said.
-- templates holds one row per name: which version is current, and whether it was deleted (a
-- deleted name can be created again; its versions keep counting up, so name+version stays unique).
CREATE TABLE templates (
  name       text PRIMARY KEY,
  version    integer NOT NULL,          -- the current version
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz
);

-- body is {"channels": {...}, "locales": {...}} exactly as validated, see io.herald.template.Template
CREATE TABLE template_versions (
  name       text NOT NULL REFERENCES templates (name),
  version    integer NOT NULL,
  level      text NOT NULL,
  category   text,
  body       jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (name, version)
);
