#!/usr/bin/env bash
# Restore a backup made by scripts/backup.sh into an EMPTY PostgreSQL database, then check
# that the schema matches the code (manage.py migrate --check). See docs/backup-and-restore.md.
#
#   scripts/restore.sh ARCHIVE TARGET_DATABASE_URL
#
#   ARCHIVE               a .dump file, or a .dump.gpg file (decrypted with gpg first)
#   TARGET_DATABASE_URL   postgres://user@host:5432/name of an existing, empty database
#                         (createdb it first); never the live database
#
# Environment:
#   PYTHON                the project's Python (default: .venv/bin/python)
#   SKIP_MIGRATE_CHECK=1  only restore (e.g. on a host without the application code)
#
# Refuses a target that already has tables. Restores in one transaction: on any error
# nothing is left half-restored.
set -euo pipefail
umask 077

if [ "$#" -ne 2 ]; then
  echo "usage: scripts/restore.sh ARCHIVE TARGET_DATABASE_URL" >&2
  exit 2
fi
archive="$1"
target="$2"
root="$(cd "$(dirname "$0")/.." && pwd)"
python="${PYTHON:-$root/.venv/bin/python}"

case "$target" in
  postgres://*|postgresql://*) ;;
  *) echo "restore.sh: TARGET_DATABASE_URL must be a postgres:// URL" >&2; exit 2 ;;
esac
[ -f "$archive" ] || { echo "restore.sh: no such archive: $archive" >&2; exit 2; }

if [ -f "$archive.sha256" ]; then
  (cd "$(dirname "$archive")" && sha256sum --check --quiet "$(basename "$archive").sha256")
fi

plain="$archive"
cleanup() { if [ "$plain" != "$archive" ]; then rm -f "$plain"; fi; }
trap cleanup EXIT
if [ "${archive%.gpg}" != "$archive" ]; then
  plain="$(mktemp "${TMPDIR:-/tmp}/restore-XXXXXX.dump")"
  gpg --batch --yes --decrypt --output "$plain" "$archive"
fi

tables="$(psql --no-psqlrc --tuples-only --no-align --dbname="$target" \
  --command="SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')")"
if [ "$tables" != "0" ]; then
  echo "restore.sh: the target database is not empty ($tables tables). Restore into a new, empty database." >&2
  exit 3
fi

pg_restore --no-owner --no-privileges --exit-on-error --single-transaction --dbname="$target" "$plain"

if [ "${SKIP_MIGRATE_CHECK:-}" != "1" ]; then
  # The schema must be exactly what this code expects: no migration missing or unapplied.
  # Without a SECRET_KEY in the environment the settings need DEBUG=1 to load; the check reads
  # the schema only, so that is safe here.
  if [ -z "${SECRET_KEY:-}" ]; then export DEBUG="${DEBUG:-1}"; fi
  (cd "$root" && DATABASE_URL="$target" "$python" manage.py migrate --check --no-input)
fi
echo "restored $archive into the target database"
