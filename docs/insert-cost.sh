#!/bin/bash
# What the bot's additions to contacts cost the CRM's inserts (docs/crm-contract.md).
# For each stage, a new database with the CRM's tables (migration 00001's), then N contacts
# inserted by one INSERT ... SELECT in a transaction, as the CRM's session (search_path=public),
# three times. Stages: the CRM's tables only; after contactbot migrate; after migrate with a
# suppression key and 1000 entries on the list. Run from the repository's root:
#   bash docs/insert-cost.sh          (N=5000, ADMIN_URL=postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable)
set -euo pipefail
A=${ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}
N=${N:-5000}
BIN=${BIN:-/tmp/contactbot-insert-cost}
go build -o "$BIN" ./cmd/contactbot
url() { echo "${A/\/postgres\?//$1?}"; }
ins="INSERT INTO contacts (id, location_id, first_name, last_name, email, phone)
     SELECT 'bench_' || g, 'loc_main', 'Émile' || g, 'Bench', 'bench' || g || '@example.com', '+1 555 ' || lpad(g::text, 7, '0')
       FROM generate_series(1, $N) g"
for stage in crm_only with_bot with_bot_and_list; do
  db=insert_cost_$stage
  psql -q "$A" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" 2>/dev/null
  sed '/+goose Down/,$d' crm/migrations/postgres/00001_crm_schema.sql | psql -q "$(url $db)"
  key=
  [ $stage = with_bot_and_list ] && key=7e57c0de7e57c0de7e57c0de7e57c0de7e57c0de7e57c0de7e57c0de7e57c0de
  [ $stage != crm_only ] && DATABASE_URL="$(url $db)" SUPPRESSION_KEY=$key "$BIN" migrate 2>/dev/null
  [ $stage = with_bot_and_list ] && psql -q "$(url $db)" -c "INSERT INTO contactbot.suppressions (id, kind, hash, dnd, source, created_by, deleted_at)
      SELECT 'sup' || g, CASE WHEN g % 2 = 0 THEN 'email' ELSE 'phone' END, md5(g::text), '{\"sms\": \"active\"}', 'deleted', 'UDEL', now()
        FROM generate_series(1, 1000) g"
  for run in 1 2 3; do
    ms=$(psql "$(url $db)" -At -c "SET search_path = public" -c "BEGIN" -c '\timing on' -c "$ins" -c "ROLLBACK" |
      sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | head -1)
    awk -v s=$stage -v ms="$ms" -v n="$N" 'BEGIN { printf "%-18s %8.0f ms for %d inserts = %6.1f µs/insert\n", s, ms, n, ms * 1000 / n }'
  done
  psql -q "$A" -c "DROP DATABASE $db"
done
