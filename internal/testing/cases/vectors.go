package cases

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
)

// Vector is one signature made by an independent implementation (Node's
// crypto, Python's hmac) from testdata/pipes/inputs.json.
type Vector struct {
	Name      string `json:"name"`
	Secret    string `json:"secret"`
	BodyB64   string `json:"body_b64"`
	Signature string `json:"signature"`
	Body      []byte `json:"-"`
}

// TestdataDir returns the repository's testdata/pipes directory.
func TestdataDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "testdata", "pipes")
}

// VectorFiles are the committed outputs of the independent signers.
var VectorFiles = []string{"vectors.node.json", "vectors.python.json"}

// ReadVectors reads one vectors file from TestdataDir.
func ReadVectors(name string) ([]Vector, error) {
	data, err := os.ReadFile(filepath.Join(TestdataDir(), name))
	if err != nil {
		return nil, err
	}
	var doc struct {
		Vectors []Vector `json:"vectors"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(doc.Vectors) == 0 {
		return nil, fmt.Errorf("%s: no vectors", name)
	}
	for i := range doc.Vectors {
		b, err := base64.StdEncoding.DecodeString(doc.Vectors[i].BodyB64)
		if err != nil {
			return nil, fmt.Errorf("%s: vector %q: %w", name, doc.Vectors[i].Name, err)
		}
		doc.Vectors[i].Body = b
	}
	return doc.Vectors, nil
}
