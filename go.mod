module github.com/sluicehq/sluice

go 1.26.0

require golang.org/x/crypto v0.59.0

require golang.org/x/net v0.63.0 // indirect
