package signing

// AccessCodeHash lets the external tests store access codes as Build does.
var AccessCodeHash = accessCodeHash
