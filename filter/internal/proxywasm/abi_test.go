package proxywasm

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hookguard/hookguard/internal/abi"
)

// TestDirectivesMatchABI: the //go:wasmexport and //go:wasmimport
// directives must spell their names as literals, so this test checks each
// against package abi's table: every export is one of abi.Callbacks and
// every import one of abi.HostCalls from abi.HostModuleName, and the Go
// function's signature is the one the table gives (Envoy fails a module
// whose signatures differ).
func TestDirectivesMatchABI(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	exports, imports := 0, 0
	for _, file := range files {
		f, err := parser.ParseFile(fset, file, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Doc == nil {
				continue
			}
			for _, c := range fn.Doc.List {
				var want abi.Func
				switch fields := strings.Fields(c.Text); {
				case len(fields) == 2 && fields[0] == "//go:wasmexport":
					exports++
					if want, ok = abi.Callback(fields[1]); !ok {
						t.Errorf("%s: %s exports %s, which is not in abi.Callbacks", file, fn.Name, fields[1])
						continue
					}
				case len(fields) == 3 && fields[0] == "//go:wasmimport":
					imports++
					if fields[1] != abi.HostModuleName {
						t.Errorf("%s: %s imports from module %s, want %s", file, fn.Name, fields[1], abi.HostModuleName)
					}
					if want, ok = abi.HostCall(fields[2]); !ok {
						t.Errorf("%s: %s imports %s, which is not in abi.HostCalls", file, fn.Name, fields[2])
						continue
					}
				default:
					continue
				}
				params, results := wasmTypes(t, fn.Type.Params), wasmTypes(t, fn.Type.Results)
				if params != want.Params || results != want.Results {
					t.Errorf("%s: %s is (%s)->(%s), but %s is (%s)->(%s)", file, fn.Name, params, results, want.Name, want.Params, want.Results)
				}
			}
		}
	}
	if exports == 0 || imports == 0 {
		t.Fatalf("found %d exports and %d imports; the test checks nothing", exports, imports)
	}
}

// wasmTypes writes the wasm types of a Go parameter or result list as
// abi.Func does: 'i' for i32, 'I' for i64 ($GOROOT/src/cmd/compile/doc.go
// gives the mapping).
func wasmTypes(t *testing.T, fields *ast.FieldList) string {
	if fields == nil {
		return ""
	}
	var b strings.Builder
	for _, f := range fields.List {
		var letter string
		switch typ := typeName(f.Type); typ {
		case "uint32", "int32", "bool", "unsafe.Pointer":
			letter = "i"
		case "uint64", "int64":
			letter = "I"
		default:
			t.Fatalf("no wasm type for Go type %s", typ)
		}
		n := max(len(f.Names), 1) // an unnamed result is one
		b.WriteString(strings.Repeat(letter, n))
	}
	return b.String()
}

func typeName(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name
	case *ast.SelectorExpr:
		return typeName(e.X) + "." + e.Sel.Name
	}
	return "?"
}
