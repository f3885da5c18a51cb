// Package browsertest drives a real headless Chromium (Debian's chromium
// package, which make deps installs) from Go tests with chromedp, and
// holds the browser tests of what the API serves to pages.
package browsertest
