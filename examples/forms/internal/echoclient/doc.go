// Package echoclient is the client side of the reactor and proactor
// programs of examples/forms: plain blocking code on a goroutine of its
// own, so that the two servers, written in the two patterns on a weft
// loop, face the same client.
package echoclient
