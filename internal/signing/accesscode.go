package signing

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"github.com/signflow/signflow/internal/keys/signinglink"
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

// AccessCodeHash is what is stored of a recipient's access code: bound to
// the recipient, so equal codes of two recipients do not look equal.
func AccessCodeHash(links *signinglink.Minter, recipientID, code string) string {
	return keyedAccessCode + links.Digest("access-code:"+recipientID, code)
}

// AccessCodeMatches compares a given access code with the stored hash in
// constant time. Envelopes created before keyed hashes keep bcrypt's.
func AccessCodeMatches(links *signinglink.Minter, recipientID, stored, given string) bool {
	if !strings.HasPrefix(stored, keyedAccessCode) {
		return bcrypt.CompareHashAndPassword([]byte(stored), []byte(given)) == nil
	}
	return links.DigestMatches("access-code:"+recipientID, given, strings.TrimPrefix(stored, keyedAccessCode))
}

// Access codes are chosen by senders, and a guesser tries the likeliest
// first. A link's FailureBudget allows 10 wrong tries in its life, so a
// code from even 100,000 equally likely values is guessed 1 time in
// 10,000; what must not pass is a code from the short list every guesser
// starts with. So: at least 6 characters, not one character repeated, not
// a run such as 123456 or abcdef, not a well-known password.
const (
	minAccessCode = 6
	maxAccessCode = 64
)

var commonCodes = []string{"password", "passw0rd", "qwerty", "qwertz", "azerty", "letmein", "welcome", "secret",
	"123123", "121212", "112233", "123321", "654321", "696969", "abc123", "iloveyou", "monkey", "dragon", "000000"}

// weakAccessCode says why code is too weak, or "" when it will do.
func weakAccessCode(code string) string {
	n := utf8.RuneCountInString(code)
	switch {
	case n < minAccessCode || n > maxAccessCode:
		return fmt.Sprintf("%d to %d characters", minAccessCode, maxAccessCode)
	case strings.Count(code, code[:1]) == len(code):
		return "not one character repeated"
	case isRun(strings.ToLower(code)):
		return "not a run such as 123456 or abcdef"
	case slices.Contains(commonCodes, strings.ToLower(code)):
		return "not a well-known password"
	}
	return ""
}

// isRun reports whether each byte of s is one more, or each one less,
// than the one before.
func isRun(s string) bool {
	up, down := true, true
	for i := 1; i < len(s); i++ {
		up = up && s[i] == s[i-1]+1
		down = down && s[i] == s[i-1]-1
	}
	return up || down
}
