#!/usr/bin/env bash
# The Debian packages and fonts that the notice's formats need beyond Python: CJK fonts for the PDF (no tofu),
# LibreOffice to check that the DOCX opens, poppler to read PDFs back in tests, chromium for the console's browser
# tests. Idempotent and quick when present.
#
# Fonts (free, all from Debian's archive): Noto Serif/Sans CJK SC (宋体/黑体 styles), AR PL UKai (楷体 style) and
# FandolFang (仿宋 style), which Debian ships only inside texlive-lang-chinese: its .deb is unpacked without
# installing TeX and the FandolFang files are copied to /usr/local/share/fonts/fandol.
set -euo pipefail

# libharfbuzz-subset0: WeasyPrint subsets the CJK fonts with it in ~0.1 s; without it falls back to fontTools (~10 s).
# chromium: the browser the console's Playwright tests drive (/usr/bin/chromium; Playwright downloads nothing).
PACKAGES=(fonts-noto-cjk fonts-arphic-ukai poppler-utils libreoffice-writer-nogui fontconfig libharfbuzz-subset0 chromium)
FANDOL_DIR=/usr/local/share/fonts/fandol

missing=()
for package in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

if [ "${#missing[@]}" -gt 0 ]; then
    echo "system-deps: installing ${missing[*]}"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! ls "$FANDOL_DIR"/FandolFang-Regular.otf >/dev/null 2>&1; then
    echo "system-deps: installing FandolFang from texlive-lang-chinese"
    work=$(mktemp -d)
    chmod 755 "$work"  # apt downloads as the _apt user
    trap 'rm -rf "$work"' EXIT
    (cd "$work" && apt-get download -qq texlive-lang-chinese >/dev/null)
    dpkg-deb -x "$work"/texlive-lang-chinese_*.deb "$work/root"
    as_root mkdir -p "$FANDOL_DIR"
    find "$work/root" -name 'FandolFang-*.otf' -exec cp {} "$FANDOL_DIR" \;
    as_root fc-cache -f "$FANDOL_DIR" >/dev/null
fi

# The font names offices' documents carry (the DOCX names 仿宋_GB2312 …) resolve to the free fonts above, so
# LibreOffice (and anything else using fontconfig) lays out a notice here the way the PDF is set.
ALIASES=/etc/fonts/conf.d/64-xunjian-gb-fonts.conf
if [ ! -f "$ALIASES" ]; then
    as_root tee "$ALIASES" >/dev/null <<'XML'
<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <alias binding="same"><family>仿宋_GB2312</family><prefer><family>FandolFang</family></prefer></alias>
  <alias binding="same"><family>仿宋</family><prefer><family>FandolFang</family></prefer></alias>
  <alias binding="same"><family>FangSong</family><prefer><family>FandolFang</family></prefer></alias>
  <alias binding="same"><family>楷体_GB2312</family><prefer><family>AR PL UKai CN</family></prefer></alias>
  <alias binding="same"><family>楷体</family><prefer><family>AR PL UKai CN</family></prefer></alias>
  <alias binding="same"><family>KaiTi</family><prefer><family>AR PL UKai CN</family></prefer></alias>
  <alias binding="same"><family>黑体</family><prefer><family>Noto Sans CJK SC</family></prefer></alias>
  <alias binding="same"><family>SimHei</family><prefer><family>Noto Sans CJK SC</family></prefer></alias>
  <alias binding="same"><family>宋体</family><prefer><family>Noto Serif CJK SC</family></prefer></alias>
  <alias binding="same"><family>SimSun</family><prefer><family>Noto Serif CJK SC</family></prefer></alias>
  <alias binding="same"><family>方正小标宋简体</family><prefer><family>Noto Serif CJK SC</family></prefer></alias>
</fontconfig>
XML
    as_root fc-cache -f >/dev/null
fi

fc-list :lang=zh family | grep -q "FandolFang" || { echo "system-deps: FandolFang is not visible to fontconfig" >&2; exit 1; }
