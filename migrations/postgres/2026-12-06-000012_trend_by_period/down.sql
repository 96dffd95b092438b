ALTER TABLE trend_days DROP CONSTRAINT trend_days_pkey, ADD PRIMARY KEY (unit, day, combo);
ALTER TABLE trend_months DROP CONSTRAINT trend_months_pkey, ADD PRIMARY KEY (unit, month, combo);
