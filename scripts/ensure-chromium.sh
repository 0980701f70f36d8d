#!/bin/sh
# The browser tests drive Debian's Chromium (playwright-core cannot download a browser here). Installs it when it is
# missing and we may (root with apt-get); otherwise says how. OPENDMP_CHROMIUM points at another binary. The print
# test reads the browser's PDF back with poppler-utils' pdftotext: installed the same way.
if ! command -v pdftotext >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "opendmp: installing Debian poppler-utils (pdftotext) for the print test…" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils >/dev/null 2>&1 \
      || (apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils >/dev/null 2>&1) \
      || echo "opendmp: could not install poppler-utils; the print test will fail until pdftotext is installed" >&2
  else
    echo "opendmp: the print test needs pdftotext (Debian: sudo apt-get install -y poppler-utils)" >&2
  fi
fi
CHROMIUM="${OPENDMP_CHROMIUM:-/usr/bin/chromium}"
[ -x "$CHROMIUM" ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "opendmp: installing Debian chromium for the browser tests…" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1 \
    || (apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1) \
    || echo "opendmp: could not install chromium; the browser tests will fail until it is installed" >&2
else
  echo "opendmp: the browser tests need Chromium at $CHROMIUM (Debian: sudo apt-get install -y chromium)" >&2
fi
exit 0
