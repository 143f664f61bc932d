-- The day (China Standard Time) a unit was deregistered: it holds no title from that day
-- on, and VerifyTitle answers its state as of the day asked. Units deregistered before
-- this column existed keep it empty and hold no title on any day (the registry cannot
-- tell when they left, and a platform must not be told they held one).
ALTER TABLE units ADD COLUMN deregistered_on TEXT;
