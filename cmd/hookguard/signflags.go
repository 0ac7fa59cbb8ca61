package main

import (
	"flag"
	"fmt"
	"strings"
)

// sendFlag is sign's --send: `--send URL`, `--send=URL`, or a bare
// `--send` that sends to -url (how cmd/sign's -send read).
type sendFlag struct {
	set bool
	url string
}

func (s *sendFlag) String() string { return s.url }

// IsBoolFlag lets --send stand alone; parse takes the URL after it.
func (s *sendFlag) IsBoolFlag() bool { return true }

func (s *sendFlag) Set(v string) error {
	s.set = true
	if v != "true" {
		s.url = v
	}
	return nil
}

// parse parses args with fs, taking the argument after a bare --send as
// its URL and parsing the flags after that too.
func (s *sendFlag) parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	for fs.NArg() > 0 {
		if !s.set || s.url != "" || !strings.Contains(fs.Arg(0), "://") {
			return fmt.Errorf("unexpected argument %q", fs.Arg(0))
		}
		s.url = fs.Arg(0)
		if err := fs.Parse(fs.Args()[1:]); err != nil {
			return err
		}
	}
	return nil
}
