namespace WsCore.Handshake;

/// <summary>Why an extension header value could not be read.</summary>
public enum ExtensionHeaderError
{
    /// <summary>No error (so far).</summary>
    None = 0,

    /// <summary>An extension name was expected (after a comma or at the start) but no token was found.</summary>
    ExpectedExtensionName,

    /// <summary>A parameter name was expected after <c>;</c> but no token was found.</summary>
    ExpectedParameterName,

    /// <summary>A parameter value was expected after <c>=</c> but neither a token nor a quoted string was found.</summary>
    ExpectedParameterValue,

    /// <summary>A quoted string was not closed, or held a character a quoted string may not hold.</summary>
    InvalidQuotedString,

    /// <summary>A quoted value, once unescaped, is not a token (RFC 6455 §9.1 requires it to be one).</summary>
    QuotedValueNotToken,

    /// <summary>Something other than <c>;</c>, <c>,</c> or the end followed an extension name or a parameter.</summary>
    UnexpectedCharacter,
}
