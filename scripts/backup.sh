#!/usr/bin/env bash
# Back up the PostgreSQL database: one pg_dump archive in custom format, checked, checksummed
# and (when a recipient is configured) encrypted. See docs/backup-and-restore.md.
#
#   DATABASE_URL=postgres://user@host:5432/escalations scripts/backup.sh [OUTPUT_DIRECTORY]
#
# Environment:
#   DATABASE_URL          the database to back up (required; postgres:// or postgresql://)
#   BACKUP_DIR            where archives go when no directory is given (default: ./backups)
#   BACKUP_GPG_RECIPIENT  encrypt to this GnuPG key (id or e-mail); the plain archive is removed
#   BACKUP_PREFIX         file name prefix (default: escalations)
#
# Prints the path of the archive it wrote (the .gpg file when encrypted). Exits non-zero on
# any failure, leaving no partial archive behind.
set -euo pipefail
umask 077

: "${DATABASE_URL:?Set DATABASE_URL to the database to back up}"
case "$DATABASE_URL" in
  postgres://*|postgresql://*) ;;
  *) echo "backup.sh: DATABASE_URL must be a postgres:// URL" >&2; exit 2 ;;
esac

directory="${1:-${BACKUP_DIR:-backups}}"
prefix="${BACKUP_PREFIX:-escalations}"
mkdir -p "$directory"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
archive="$directory/$prefix-$stamp.dump"
partial="$archive.partial"
trap 'rm -f "$partial"' EXIT

# Custom format: compressed, restorable table by table, and pg_restore checks it. No owners
# or grants, so it restores into a database owned by whoever runs the restore.
pg_dump --format=custom --compress=6 --no-owner --no-privileges --file="$partial" --dbname="$DATABASE_URL"
# The archive must be readable before it counts as a backup.
pg_restore --list "$partial" >/dev/null
mv "$partial" "$archive"

if [ -n "${BACKUP_GPG_RECIPIENT:-}" ]; then
  gpg --batch --yes --trust-model always --encrypt --recipient "$BACKUP_GPG_RECIPIENT" \
      --output "$archive.gpg" "$archive"
  rm -f "$archive"
  archive="$archive.gpg"
fi

(cd "$(dirname "$archive")" && sha256sum "$(basename "$archive")" >"$(basename "$archive").sha256")
echo "$archive"
