// Package docs checks hookguard's Markdown: every relative link in
// README.md, RATIONALE.md, DEVELOPERS.md, SECURITY.md and docs/*.md names a
// file that exists, and every #anchor a heading of its target, as GitHub
// renders them. It is test kit: it has tests only, and never ships.
package docs
