-- API apps may be limited to callers from listed addresses or networks.
alter table api_keys add column ip_allowlist text not null default '';
