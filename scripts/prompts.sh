#!/bin/sh
# Regenerates the shipped prompt WAVs (prompts/{bg,en}/NAME.wav: 8 kHz, mono, 16-bit PCM) with
# espeak-ng and sox from the texts in the code (`civicline prompts` prints them: the IVR's
# prompts from the ivr crate and the queue position announcements from the telephony crate).
#
# Usage: scripts/prompts.sh [OUTPUT_DIR]     (default: prompts/ in the repository)
# Needs: espeak-ng (voices bg and en), sox, cargo.
# Admins replace any prompt by dropping a WAV with the same name into telephony.prompts_dir.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-"$root/prompts"}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

command -v espeak-ng >/dev/null || { echo "prompts.sh: espeak-ng is not installed" >&2; exit 1; }
command -v sox >/dev/null || { echo "prompts.sh: sox is not installed" >&2; exit 1; }

cd "$root"
cargo run --quiet -p civicline -- prompts > "$tmp/texts.tsv"

count=0
tab=$(printf '\t')
while IFS="$tab" read -r lang name text; do
    [ -n "$name" ] || continue
    mkdir -p "$out/$lang"
    case "$lang" in
        bg) voice=bg; speed=150 ;;
        *) voice=en-gb; speed=160 ;;
    esac
    espeak-ng -v "$voice" -s "$speed" -w "$tmp/raw.wav" -- "$text"
    # Telephone band, 8 kHz mono 16-bit, a little headroom, 150 ms of silence at the end.
    sox "$tmp/raw.wav" -r 8000 -c 1 -b 16 -e signed-integer "$out/$lang/$name.wav" \
        gain -6 highpass 300 lowpass 3400 gain -n -3 pad 0 0.15
    count=$((count + 1))
done < "$tmp/texts.tsv"
echo "prompts.sh: wrote $count prompts under $out"
