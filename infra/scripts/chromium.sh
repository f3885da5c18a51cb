#!/usr/bin/env bash
# Installs Chromium for the browser tests (infra/browsertest): Debian's
# chromium package, through apt-get (as root, or with passwordless sudo).
# Quiet when a Chromium is already there ($CHROMIUM, or chromium,
# chromium-browser or google-chrome on PATH).
# Without one the browser tests skip, and fail when CI is set.
set -uo pipefail

[[ -n ${CHROMIUM:-} ]] && exit 0
# Any Chromium the browser tests can drive will do (infra/browsertest looks
# for these names); GitHub's Ubuntu runners ship google-chrome.
for b in chromium chromium-browser google-chrome; do
  command -v "$b" >/dev/null 2>&1 && exit 0
done
if ! command -v apt-get >/dev/null 2>&1; then
  echo "chromium: no apt-get here: install Chromium and put it on PATH, or set CHROMIUM" >&2
  exit 0
fi
sudo=()
if (( EUID != 0 )); then
  if ! sudo -n true 2>/dev/null; then
    echo "chromium: not root and no passwordless sudo: run 'apt-get install chromium' yourself" >&2
    exit 0
  fi
  sudo=(sudo -n)
fi
echo "chromium: installing Debian's chromium package for the browser tests"
export DEBIAN_FRONTEND=noninteractive
if ! "${sudo[@]}" apt-get install -y -qq chromium >/tmp/levqor-chromium-install.log 2>&1; then
  # A fresh machine may have no package lists yet.
  "${sudo[@]}" apt-get update -qq >>/tmp/levqor-chromium-install.log 2>&1
  if ! "${sudo[@]}" apt-get install -y -qq chromium >>/tmp/levqor-chromium-install.log 2>&1; then
    echo "chromium: apt-get install chromium failed; its output:" >&2
    tail -n 20 /tmp/levqor-chromium-install.log >&2
  fi
fi
