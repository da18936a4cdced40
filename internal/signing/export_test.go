package signing

// WeakAccessCode says why an access code is refused.
var WeakAccessCode = weakAccessCode
