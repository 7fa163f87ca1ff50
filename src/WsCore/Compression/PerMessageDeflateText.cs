namespace WsCore.Compression;

/// <summary>
/// The RFC 7692 text form of an offer (from <see cref="PerMessageDeflateOptions"/>) and of a response (from
/// <see cref="PerMessageDeflateParameters"/>): the names and the writing only. Reading and deciding on header values
/// belongs to the handshake layer (<c>WsCore.Handshake.PerMessageDeflateNegotiation</c>), which calls this.
/// </summary>
internal static class PerMessageDeflateText
{
    public const string ExtensionName = "permessage-deflate";
    public const string ServerNoContextTakeoverName = "server_no_context_takeover";
    public const string ClientNoContextTakeoverName = "client_no_context_takeover";
    public const string ServerMaxWindowBitsName = "server_max_window_bits";
    public const string ClientMaxWindowBitsName = "client_max_window_bits";

    /// <summary>Longer than the longest offer or response written here (~120 characters).</summary>
    public const int MaxLength = 128;

    /// <summary>The offer for <paramref name="options"/>; nothing when they are disabled.</summary>
    public static bool TryWriteOffer(PerMessageDeflateOptions options, Span<char> destination, out int charsWritten)
    {
        var w = new Writer(destination);
        if (options.Enabled)
        {
            w.Append(ExtensionName);
            if (options.ServerNoContextTakeover) w.Parameter(ServerNoContextTakeoverName);
            if (options.ClientNoContextTakeover) w.Parameter(ClientNoContextTakeoverName);
            if (options.ServerMaxWindowBits < 15) w.Parameter(ServerMaxWindowBitsName, options.ServerMaxWindowBits);
            if (options.ClientMaxWindowBits < 15) w.Parameter(ClientMaxWindowBitsName, options.ClientMaxWindowBits);
            else if (options.OfferClientMaxWindowBits) w.Parameter(ClientMaxWindowBitsName);
        }
        charsWritten = w.Length;
        return !w.Overflowed;
    }

    /// <summary>
    /// The response that accepts an offer with <paramref name="parameters"/>. Parameters at their default (15 bits,
    /// context takeover) are left out, except <c>server_max_window_bits</c> when the accepted offer named it
    /// (RFC 7692 §7.1.2.1).
    /// </summary>
    public static bool TryWriteResponse(in PerMessageDeflateParameters parameters, Span<char> destination, out int charsWritten)
    {
        var w = new Writer(destination);
        w.Append(ExtensionName);
        if (parameters.ServerNoContextTakeover) w.Parameter(ServerNoContextTakeoverName);
        if (parameters.ClientNoContextTakeover) w.Parameter(ClientNoContextTakeoverName);
        // A default-constructed struct has 0 bits: treat it as 15.
        if (parameters.ServerMaxWindowBits is >= 8 and < 15 || (parameters.ServerMaxWindowBitsRequested && parameters.ServerMaxWindowBits is >= 8))
            w.Parameter(ServerMaxWindowBitsName, parameters.ServerMaxWindowBits);
        if (parameters.ClientMaxWindowBits is >= 8 and < 15) w.Parameter(ClientMaxWindowBitsName, parameters.ClientMaxWindowBits);
        charsWritten = w.Length;
        return !w.Overflowed;
    }

    /// <summary>The response for <paramref name="parameters"/> as a string.</summary>
    public static string CreateResponse(in PerMessageDeflateParameters parameters)
    {
        Span<char> buffer = stackalloc char[MaxLength];
        TryWriteResponse(parameters, buffer, out int n);
        return new string(buffer[..n]);
    }

    private ref struct Writer(Span<char> destination)
    {
        private readonly Span<char> _destination = destination;
        public int Length;
        public bool Overflowed;

        public void Append(scoped ReadOnlySpan<char> text)
        {
            if (Overflowed || !text.TryCopyTo(_destination[Length..])) { Overflowed = true; return; }
            Length += text.Length;
        }

        public void Parameter(string name)
        {
            Append("; ");
            Append(name);
        }

        public void Parameter(string name, int value)
        {
            Parameter(name);
            Append("=");
            Span<char> digits = stackalloc char[2];
            value.TryFormat(digits, out int n, default, System.Globalization.CultureInfo.InvariantCulture);
            Append(digits[..n]);
        }
    }
}
