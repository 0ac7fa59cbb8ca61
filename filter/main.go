// Command filter is hookguard's proxy-wasm HTTP filter. Build it with the
// standard toolchain:
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o build/hookguard.wasm ./filter
//
// The logic lives in internal/plugin and the verification core in verify;
// this file only registers the plugin.
package main

import (
	"github.com/hookguard/hookguard/filter/internal/plugin"
	"github.com/hookguard/hookguard/filter/internal/proxywasm"
)

// init registers the plugin: a c-shared module runs init() from
// _initialize and never calls main.
func init() { proxywasm.SetRootContext(plugin.NewRoot) }

func main() {}
