#!/bin/sh
# Builds the Lambda deployment zip of stockpipe-lambda:
#   bootstrap                 sh script Lambda runs; execs the packed loader on the binary
#   bin/stockpipe-lambda      the binary, debug sections stripped
#   lib/<soname>              every shared library `ldd` resolves for the binary
#   lib/ld-linux-*.so.*       the dynamic loader it was linked against
# usage: package-lambda.sh <binary> <output.zip> [cmake]
# Fails when a library cannot be resolved. Needs sh, ldd, cp, and cmake (for `cmake -E tar`).
set -eu

if [ $# -lt 2 ]; then
  echo "usage: $0 <binary> <output.zip> [cmake]" >&2
  exit 2
fi
binary=$1
case "$2" in
  /*) out=$2 ;;
  *) out=$(pwd)/$2 ;;
esac
cmake=${3:-cmake}
here=$(cd "$(dirname "$0")" && pwd)

[ -x "$binary" ] || { echo "package-lambda: $binary is not an executable" >&2; exit 1; }
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin" "$stage/lib"
cp "$binary" "$stage/bin/stockpipe-lambda"
if command -v strip >/dev/null 2>&1; then
  strip --strip-debug "$stage/bin/stockpipe-lambda"
fi

ldd "$binary" > "$stage/ldd.txt" || { echo "package-lambda: ldd failed on $binary" >&2; exit 1; }
loader=
while read -r line; do
  case "$line" in
    *"=> not found"*)
      echo "package-lambda: library not found: $line" >&2
      exit 1
      ;;
    *"=> /"*)
      name=${line%% =>*}
      path=${line#*=> }
      path=${path%% (*}
      cp -L "$path" "$stage/lib/$name"
      ;;
    /*)
      path=${line%% (*}
      loader=$(basename "$path")
      cp -L "$path" "$stage/lib/$loader"
      ;;
  esac
done < "$stage/ldd.txt"
rm "$stage/ldd.txt"
if [ -z "$loader" ]; then
  echo "package-lambda: ldd named no dynamic loader for $binary (static binary?)" >&2
  exit 1
fi

sed "s/@LOADER@/$loader/" "$here/bootstrap.in" > "$stage/bootstrap"
chmod 755 "$stage/bootstrap" "$stage/bin/stockpipe-lambda" "$stage/lib/$loader"
chmod 644 $(find "$stage/lib" -type f ! -name "$loader")

rm -f "$out.tmp"
(cd "$stage" && "$cmake" -E tar cf "$out.tmp" --format=zip bootstrap bin lib)
mv "$out.tmp" "$out"
echo "package-lambda: $out ($(ls "$stage/lib" | wc -l) files in lib/, loader $loader)"
