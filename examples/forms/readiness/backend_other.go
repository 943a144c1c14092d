//go:build unix && !linux

package main

const backend = "kqueue"
