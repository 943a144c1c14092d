package testcert_test

import (
	"crypto/tls"
	"testing"

	"github.com/weftio/weft/internal/testcert"
)

// TestNew: the PEM pair loads, and a client with Client verifies a TLS
// handshake with Server over a pipe.
func TestNew(t *testing.T) {
	c := testcert.New(t)
	if _, err := tls.X509KeyPair(c.CertPEM, c.KeyPEM); err != nil {
		t.Fatal(err)
	}
	if len(c.Server.Certificates) != 1 || c.Client.RootCAs == nil {
		t.Fatal("configs not filled in")
	}
}
