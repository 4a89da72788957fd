#!/usr/bin/env bash
# Builds tests/live/go_smtp_client.go once into build/go/go-smtp-client, with
# Go's standard library only (nothing fetched): the go-smtp-* profiles run it.
#   tests/live/go_smtp_client.sh     (needs golang-go)
set -euo pipefail
cd "$(dirname "$0")/../.."
out=$PWD/build/go
mkdir -p "$out/cache" "$out/home"
HOME=$out/home GOCACHE=$out/cache GOPATH=$out/home/go GOFLAGS= GOPROXY=off GO111MODULE=off \
  timeout 600 go build -o "$out/go-smtp-client" tests/live/go_smtp_client.go
echo "build/go/go-smtp-client"
