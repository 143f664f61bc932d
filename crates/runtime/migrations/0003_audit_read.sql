-- Reading the audit trail (ListAuditRecords): newest first over the whole trail (the
-- province), and by actor. By resource uses audit_records_resource (0001).
CREATE INDEX audit_records_at ON audit_records (at, id);
CREATE INDEX audit_records_subject ON audit_records (subject, at);
