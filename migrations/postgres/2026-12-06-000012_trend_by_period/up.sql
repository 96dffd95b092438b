-- The trend's changes keyed by period first: a trend reads the periods from its first one
-- on, for every unit, and with the unit first that range was a scan of the whole table.
-- Period first, it is a range of the index.
ALTER TABLE trend_days DROP CONSTRAINT trend_days_pkey, ADD PRIMARY KEY (day, unit, combo);
ALTER TABLE trend_months DROP CONSTRAINT trend_months_pkey, ADD PRIMARY KEY (month, unit, combo);
