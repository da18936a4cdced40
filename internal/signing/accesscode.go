package signing

import (
	"strings"

	"golang.org/x/crypto/bcrypt"

	"github.com/signflow/signflow/internal/signinglink"
)

// keyedAccessCode marks an access code stored as a keyed hash. Access codes
// are short and chosen by people, so what protects them at rest is that
// the table alone is not enough to test guesses: without the server's link
// key, which is not in the database, a stolen digest cannot be searched
// offline, exactly as with one-time codes. bcrypt's slowness would only
// matter once the key is stolen too, and that key already mints every
// signing link, so it guards nothing more; online guessing is bounded by
// the failure counters. A keyed hash costs microseconds where bcrypt cost
// about 60 ms of CPU per hash and per check.
const keyedAccessCode = "hmac-sha256:"

// accessCodeHash is what is stored of a recipient's access code: bound to
// the recipient, so equal codes of two recipients do not look equal.
func accessCodeHash(links *signinglink.Minter, recipientID, code string) string {
	return keyedAccessCode + links.Digest("access-code:"+recipientID, code)
}

// accessCodeMatches compares a given access code with the stored hash in
// constant time. Envelopes created before keyed hashes keep bcrypt's.
func accessCodeMatches(links *signinglink.Minter, recipientID, stored, given string) bool {
	if !strings.HasPrefix(stored, keyedAccessCode) {
		return bcrypt.CompareHashAndPassword([]byte(stored), []byte(given)) == nil
	}
	return links.DigestMatches("access-code:"+recipientID, given, strings.TrimPrefix(stored, keyedAccessCode))
}
