package signing

// AccessCodeHash lets the external tests store access codes as Build does.
var AccessCodeHash = accessCodeHash

// WeakAccessCode says why an access code is refused.
var WeakAccessCode = weakAccessCode
