-- aiops-tui history file, schema version 2.
-- Open it with the plain `duckdb` CLI: `duckdb -readonly history.duckdb`, then e.g.
--   SELECT * FROM cost_daily_by_model ORDER BY day DESC LIMIT 20;
-- Times are TIMESTAMPTZ (UTC instants); every bucket below is aligned to UTC.
-- A newer aiops-tui bumps meta.schema_version; older builds refuse such a file rather than guess.

-- One row per schema version the file has had: when, and by which build, it was created or upgraded.
CREATE TABLE meta (
    schema_version INTEGER NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    app_version    VARCHAR NOT NULL
);

-- One row per time series: a metric name and its label set, as seen from one source.
-- `labels` is a JSON object of the label pairs sorted by name, e.g. {"model":"gpt-4","team":"None"}.
CREATE TABLE series (
    series_id INTEGER PRIMARY KEY,
    source    VARCHAR NOT NULL,
    name      VARCHAR NOT NULL,
    labels    JSON NOT NULL,
    unit      VARCHAR,
    UNIQUE (source, name, labels)
);

-- Raw samples, appended in time order with no index: zone maps on `ts` prune better than an index.
CREATE TABLE samples (
    ts        TIMESTAMPTZ NOT NULL,
    series_id INTEGER NOT NULL,
    value     DOUBLE NOT NULL
);

-- Things that happened: breaker transitions, alerts firing/resolved, sources up/down,
-- runbook steps ticked, incident notes. `detail` is a JSON object.
CREATE TABLE events (
    ts         TIMESTAMPTZ NOT NULL,
    kind       VARCHAR NOT NULL,
    subject    VARCHAR NOT NULL,
    from_state VARCHAR,
    to_state   VARCHAR,
    detail     JSON NOT NULL
);

-- Rollups. `increase` is the counter increase inside the bucket, reset-aware the Prometheus way
-- (a drop counts the new value as the increase) and including the step from the last sample
-- before the bucket, so SUM(increase) over any run of buckets is the increase over that span.
-- NaN and infinite samples (Prometheus staleness markers, quantiles with no traffic) are skipped.
CREATE TABLE samples_1m (
    bucket    TIMESTAMPTZ NOT NULL,
    series_id INTEGER NOT NULL,
    min       DOUBLE,
    max       DOUBLE,
    avg       DOUBLE,
    last      DOUBLE,
    count     BIGINT NOT NULL,
    increase  DOUBLE NOT NULL
);

CREATE TABLE samples_1h (
    bucket    TIMESTAMPTZ NOT NULL,
    series_id INTEGER NOT NULL,
    min       DOUBLE,
    max       DOUBLE,
    avg       DOUBLE,
    last      DOUBLE,
    count     BIGINT NOT NULL,
    increase  DOUBLE NOT NULL
);

-- The rows behind the cost_hourly view: one per hour, source and model, summing the `increase` of
-- the source's preferred cost counter over its series (store/rollup.py says which). Written with
-- samples_1h, in the same transaction and for the same hours; purged at the same horizon. The
-- preference is among the counters the source had exposed when the hour was rolled up.
CREATE TABLE cost_1h (
    bucket TIMESTAMPTZ NOT NULL,
    source VARCHAR NOT NULL,
    model  VARCHAR NOT NULL,
    usd    DOUBLE NOT NULL
);

-- Rollup bookkeeping: every bucket that starts before `watermark` is complete in that table.
CREATE TABLE rollup_watermark (
    resolution VARCHAR PRIMARY KEY,
    watermark  TIMESTAMPTZ NOT NULL
);

-- The last raw sample per series already folded into samples_1m: the "previous sample" that the
-- next bucket's increase starts from, however long ago it was.
CREATE TABLE rollup_carry (
    series_id INTEGER PRIMARY KEY,
    ts        TIMESTAMPTZ NOT NULL,
    value     DOUBLE NOT NULL
);

-- cost_hourly: US dollars spent per completed hour, per source and model, from the cost counter
-- each source exposes: LiteLLM's, else OTel GenAI's, else the aiops sim's (a source exposing two
-- of them is counted once, by the first). Spend by LiteLLM's own health checks (team
-- litellm-internal-health-check) is left out: it is not user traffic. It reads cost_1h.
CREATE VIEW cost_hourly AS
SELECT bucket AS hour, source, model, usd
FROM cost_1h;

-- cost_daily_by_model: US dollars per UTC day and model (the month review). Each hour is counted
-- once: Prometheus's sums where it has that hour (they cover every gateway it scrapes), else every
-- gateway's own counter added up; a gateway scraped directly as well is not counted twice.
CREATE VIEW cost_daily_by_model AS
SELECT
    CAST(timezone('UTC', c.hour) AS DATE) AS day,
    c.model,
    sum(c.usd) AS usd
FROM cost_hourly AS c
WHERE c.source = 'prometheus'
   OR NOT EXISTS (SELECT 1 FROM cost_1h AS p WHERE p.source = 'prometheus' AND p.bucket = c.hour)
GROUP BY ALL;

-- breaker_transitions: every circuit-breaker state change, oldest first (the incident timeline).
CREATE VIEW breaker_transitions AS
SELECT ts, subject AS upstream, from_state, to_state, detail
FROM events
WHERE kind = 'breaker';

-- golden_5m: every series at 5-minute resolution (the shape the golden-signal charts draw), with
-- `avg` weighted by sample count and `increase` for counters (rate per second = increase / 300).
-- time_bucket, not epoch arithmetic: a filter on `bucket` then reaches the scan of samples_1m.
CREATE VIEW golden_5m AS
SELECT
    time_bucket(INTERVAL 5 MINUTE, m.bucket) AS bucket,
    s.source,
    s.name,
    s.labels,
    sum(m.avg * m.count) / sum(m.count) AS avg,
    max(m.max) AS max,
    arg_max(m.last, m.bucket) AS last,
    sum(m.increase) AS increase
FROM samples_1m AS m
JOIN series AS s USING (series_id)
GROUP BY ALL;
