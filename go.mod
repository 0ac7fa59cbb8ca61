module github.com/hookguard/hookguard

go 1.24.0

require (
	github.com/tetratelabs/wazero v1.11.0
	sigs.k8s.io/yaml v1.6.0
)

require (
	go.yaml.in/yaml/v2 v2.4.2 // indirect
	golang.org/x/sys v0.38.0 // indirect
)
