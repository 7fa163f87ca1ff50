using WsCore.Compression;

namespace WsCore.Handshake;

/// <summary>
/// permessage-deflate negotiation (RFC 7692 §5, §7.1) for both roles: the client builds its offer and validates the
/// server's response; the server picks the first offer it can honour and builds its response. Peer input never throws:
/// every problem is a <see cref="PerMessageDeflateNegotiationResult"/>. When a client gets anything but
/// <see cref="PerMessageDeflateNegotiationResult.Accepted"/> or <see cref="PerMessageDeflateNegotiationResult.NotNegotiated"/>
/// it must fail the WebSocket connection (RFC 7692 §5, RFC 6455 §4.1).
/// </summary>
public static class PerMessageDeflateNegotiation
{
    /// <summary>The extension token, <c>permessage-deflate</c>.</summary>
    public const string ExtensionName = PerMessageDeflateText.ExtensionName;

    private const string ServerNoContextTakeoverName = PerMessageDeflateText.ServerNoContextTakeoverName;
    private const string ClientNoContextTakeoverName = PerMessageDeflateText.ClientNoContextTakeoverName;
    private const string ServerMaxWindowBitsName = PerMessageDeflateText.ServerMaxWindowBitsName;
    private const string ClientMaxWindowBitsName = PerMessageDeflateText.ClientMaxWindowBitsName;

    // ---------------------------------------------------------------- client

    /// <summary>
    /// Client: the <c>Sec-WebSocket-Extensions</c> value to send, or null when <paramref name="options"/> is disabled.
    /// </summary>
    /// <param name="options">The local policy.</param>
    public static string? CreateOffer(PerMessageDeflateOptions options)
    {
        Span<char> buffer = stackalloc char[PerMessageDeflateText.MaxLength];
        return TryWriteOffer(options, buffer, out int n) && n > 0 ? new string(buffer[..n]) : null;
    }

    /// <summary>Client: writes the offer (nothing when disabled) into <paramref name="destination"/>.</summary>
    /// <param name="options">The local policy.</param>
    /// <param name="destination">Where the header value goes.</param>
    /// <param name="charsWritten">How many characters were written (0 when disabled).</param>
    /// <returns>False if <paramref name="destination"/> is too small.</returns>
    public static bool TryWriteOffer(PerMessageDeflateOptions options, Span<char> destination, out int charsWritten)
    {
        ArgumentNullException.ThrowIfNull(options);
        return PerMessageDeflateText.TryWriteOffer(options, destination, out charsWritten);
    }

    /// <summary>
    /// Client: validates the server's <c>Sec-WebSocket-Extensions</c> response against the offer that
    /// <paramref name="options"/> produced, and yields the agreed parameters.
    /// </summary>
    /// <param name="options">The policy the offer was built from.</param>
    /// <param name="responseHeader">The response header value (empty if the header was absent).</param>
    /// <param name="parameters">The agreed parameters when the result is <see cref="PerMessageDeflateNegotiationResult.Accepted"/>.</param>
    public static PerMessageDeflateNegotiationResult ProcessResponse(PerMessageDeflateOptions options,
        ReadOnlySpan<char> responseHeader, out PerMessageDeflateParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(options);
        var state = new ClientState();
        state.ProcessLine(options, responseHeader);
        return state.Finish(options, out parameters);
    }

    /// <summary>Client: as <see cref="ProcessResponse(PerMessageDeflateOptions, ReadOnlySpan{char}, out PerMessageDeflateParameters)"/>
    /// for a response header sent on several lines (read in order, as one list).</summary>
    /// <param name="options">The policy the offer was built from.</param>
    /// <param name="responseHeaderLines">Every value of the response header, in order.</param>
    /// <param name="parameters">The agreed parameters when the result is <see cref="PerMessageDeflateNegotiationResult.Accepted"/>.</param>
    public static PerMessageDeflateNegotiationResult ProcessResponse(PerMessageDeflateOptions options,
        ReadOnlySpan<string> responseHeaderLines, out PerMessageDeflateParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(options);
        var state = new ClientState();
        foreach (string line in responseHeaderLines)
        {
            if (!state.ProcessLine(options, line)) break;
        }
        return state.Finish(options, out parameters);
    }

    private struct ClientState
    {
        private PerMessageDeflateNegotiationResult _error; // Accepted while no error
        private bool _found;
        private bool _serverNoContextTakeover, _clientNoContextTakeover;
        private int _serverWindowBits, _clientWindowBits; // 0 when absent

        // Returns false once the outcome is an error.
        public bool ProcessLine(PerMessageDeflateOptions options, ReadOnlySpan<char> line)
        {
            var reader = new ExtensionHeaderReader(line);
            while (reader.MoveNextExtension())
            {
                if (!options.Enabled || !reader.ExtensionName.Equals(ExtensionName, StringComparison.OrdinalIgnoreCase))
                    return Error(PerMessageDeflateNegotiationResult.UnexpectedExtension);
                if (_found) return Error(PerMessageDeflateNegotiationResult.DuplicateExtension);
                _found = true;
                while (reader.MoveNextParameter())
                {
                    PerMessageDeflateNegotiationResult r = ReadParameter(ref reader, isOffer: false,
                        ref _serverNoContextTakeover, ref _clientNoContextTakeover, ref _serverWindowBits, ref _clientWindowBits,
                        out bool clientWindowWithoutValue);
                    if (r != PerMessageDeflateNegotiationResult.Accepted) return Error(r);
                    _ = clientWindowWithoutValue; // never set for a response: the value is required there
                }
                if (reader.Error != ExtensionHeaderError.None) break;
            }
            if (reader.Error != ExtensionHeaderError.None) return Error(PerMessageDeflateNegotiationResult.MalformedHeader);
            return true;
        }

        private bool Error(PerMessageDeflateNegotiationResult error)
        {
            _error = error;
            return false;
        }

        public readonly PerMessageDeflateNegotiationResult Finish(PerMessageDeflateOptions options, out PerMessageDeflateParameters parameters)
        {
            parameters = default;
            if (_error != PerMessageDeflateNegotiationResult.Accepted) return _error;
            if (!_found) return PerMessageDeflateNegotiationResult.NotNegotiated;

            // RFC 7692 §7.1.2.1: the server may name server_max_window_bits even unasked, but never above what was
            // offered; if the client asked for a limit, a response without it does not honour the offer.
            int serverBits = _serverWindowBits;
            if (serverBits == 0)
            {
                if (options.ServerMaxWindowBits < 15) return PerMessageDeflateNegotiationResult.ResponseDoesNotMatchOffer;
                serverBits = 15;
            }
            else if (serverBits > options.ServerMaxWindowBits)
            {
                return PerMessageDeflateNegotiationResult.ResponseDoesNotMatchOffer;
            }

            // RFC 7692 §7.1.2.2: client_max_window_bits only if offered, and not above the offered value.
            bool offeredClientBits = options.ClientMaxWindowBits < 15 || options.OfferClientMaxWindowBits;
            int clientBits = _clientWindowBits;
            if (clientBits == 0) clientBits = options.ClientMaxWindowBits;
            else if (!offeredClientBits || clientBits > options.ClientMaxWindowBits)
                return PerMessageDeflateNegotiationResult.ResponseDoesNotMatchOffer;

            // RFC 7692 §7.1.1.1: a server accepts an offer of server_no_context_takeover by answering with it; the
            // client made no offer without it, so a response without it answers none of its offers.
            if (options.ServerNoContextTakeover && !_serverNoContextTakeover)
                return PerMessageDeflateNegotiationResult.ResponseDoesNotMatchOffer;

            // RFC 7692 §7.1.1.2: having offered client_no_context_takeover, the client keeps to it either way.
            parameters = new PerMessageDeflateParameters(serverBits, _serverNoContextTakeover,
                clientBits, _clientNoContextTakeover || options.ClientNoContextTakeover);
            return PerMessageDeflateNegotiationResult.Accepted;
        }
    }

    // ---------------------------------------------------------------- server

    /// <summary>
    /// Server: reads the client's <c>Sec-WebSocket-Extensions</c> offers and picks the first permessage-deflate offer it
    /// can honour under <paramref name="options"/>. Invalid offers (unknown or duplicate parameters, bad values) and
    /// offers it cannot honour are declined (RFC 7692 §5), and the next one is tried. Other extensions are skipped.
    /// </summary>
    /// <param name="options">The local policy.</param>
    /// <param name="offerHeader">The request header value.</param>
    /// <param name="parameters">The agreed parameters when the result is <see cref="PerMessageDeflateNegotiationResult.Accepted"/>;
    /// answer with <see cref="CreateResponse"/>.</param>
    /// <returns><see cref="PerMessageDeflateNegotiationResult.Accepted"/>, <see cref="PerMessageDeflateNegotiationResult.NotNegotiated"/>,
    /// or <see cref="PerMessageDeflateNegotiationResult.MalformedHeader"/> (the server may reject the handshake with 400
    /// or go on without extensions).</returns>
    public static PerMessageDeflateNegotiationResult SelectOffer(PerMessageDeflateOptions options,
        ReadOnlySpan<char> offerHeader, out PerMessageDeflateParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(options);
        var state = new ServerState();
        state.ProcessLine(options, offerHeader);
        return state.Finish(options, out parameters);
    }

    /// <summary>Server: as <see cref="SelectOffer(PerMessageDeflateOptions, ReadOnlySpan{char}, out PerMessageDeflateParameters)"/>
    /// for a request header sent on several lines (read in order, as one list).</summary>
    /// <param name="options">The local policy.</param>
    /// <param name="offerHeaderLines">Every value of the request header, in order.</param>
    /// <param name="parameters">The agreed parameters when the result is <see cref="PerMessageDeflateNegotiationResult.Accepted"/>.</param>
    public static PerMessageDeflateNegotiationResult SelectOffer(PerMessageDeflateOptions options,
        ReadOnlySpan<string> offerHeaderLines, out PerMessageDeflateParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(options);
        var state = new ServerState();
        foreach (string line in offerHeaderLines)
        {
            if (!state.ProcessLine(options, line)) break;
        }
        return state.Finish(options, out parameters);
    }

    private struct ServerState
    {
        private bool _malformed;
        private bool _found;
        private PerMessageDeflateParameters _chosen;

        // Returns false when the header is malformed. Keeps reading after a choice, to check the syntax.
        public bool ProcessLine(PerMessageDeflateOptions options, ReadOnlySpan<char> line)
        {
            var reader = new ExtensionHeaderReader(line);
            while (reader.MoveNextExtension())
            {
                if (_found || !options.Enabled || !reader.ExtensionName.Equals(ExtensionName, StringComparison.OrdinalIgnoreCase))
                    continue; // parameters are skipped (and syntax-checked) by the next MoveNextExtension
                bool serverNct = false, clientNct = false, valid = true, clientBitsWithoutValue = false;
                int serverBits = 0, clientBits = 0;
                while (reader.MoveNextParameter())
                {
                    if (!valid) continue;
                    PerMessageDeflateNegotiationResult r = ReadParameter(ref reader, isOffer: true,
                        ref serverNct, ref clientNct, ref serverBits, ref clientBits, out bool withoutValue);
                    valid = r == PerMessageDeflateNegotiationResult.Accepted;
                    clientBitsWithoutValue |= withoutValue;
                }
                if (reader.Error != ExtensionHeaderError.None) break;
                if (valid && TryHonour(options, serverNct, clientNct, serverBits, clientBits, clientBitsWithoutValue, out _chosen))
                    _found = true;
            }
            _malformed = reader.Error != ExtensionHeaderError.None;
            return !_malformed;
        }

        public readonly PerMessageDeflateNegotiationResult Finish(PerMessageDeflateOptions options, out PerMessageDeflateParameters parameters)
        {
            parameters = default;
            if (_malformed) return PerMessageDeflateNegotiationResult.MalformedHeader;
            if (!_found) return PerMessageDeflateNegotiationResult.NotNegotiated;
            parameters = _chosen;
            return PerMessageDeflateNegotiationResult.Accepted;
        }

        private static bool TryHonour(PerMessageDeflateOptions options, bool serverNct, bool clientNct,
            int offeredServerBits, int offeredClientBits, bool clientBitsWithoutValue, out PerMessageDeflateParameters chosen)
        {
            chosen = default;
            // server_max_window_bits: use at most what the client asked and what our policy allows (§7.1.2.1).
            int serverBits = Math.Min(offeredServerBits <= 0 ? 15 : offeredServerBits, options.ServerMaxWindowBits);
            // client_max_window_bits: we can only limit the client if it offered the parameter (§7.1.2.2).
            int clientBits;
            if (offeredClientBits > 0) clientBits = Math.Min(offeredClientBits, options.ClientMaxWindowBits);
            else if (clientBitsWithoutValue) clientBits = options.ClientMaxWindowBits;
            else if (options.ClientMaxWindowBits == 15) clientBits = 15;
            else return false; // the client would use a 32 KiB window, more than our policy accepts
            chosen = new PerMessageDeflateParameters(serverBits, serverNct || options.ServerNoContextTakeover,
                clientBits, clientNct || options.ClientNoContextTakeover)
            {
                ServerMaxWindowBitsRequested = offeredServerBits > 0,
            };
            return true;
        }
    }

    /// <summary>
    /// Server: the <c>Sec-WebSocket-Extensions</c> response value that accepts an offer with
    /// <paramref name="parameters"/> (as chosen by <see cref="SelectOffer(PerMessageDeflateOptions, ReadOnlySpan{char}, out PerMessageDeflateParameters)"/>).
    /// Parameters at their default (15 bits, context takeover) are left out, except <c>server_max_window_bits</c> when the
    /// accepted offer named it (RFC 7692 §7.1.2.1).
    /// </summary>
    /// <param name="parameters">The agreed parameters.</param>
    public static string CreateResponse(in PerMessageDeflateParameters parameters)
    {
        return PerMessageDeflateText.CreateResponse(parameters);
    }

    /// <summary>Server: writes the response value for <paramref name="parameters"/> into <paramref name="destination"/>.</summary>
    /// <param name="parameters">The agreed parameters.</param>
    /// <param name="destination">Where the header value goes.</param>
    /// <param name="charsWritten">How many characters were written.</param>
    /// <returns>False if <paramref name="destination"/> is too small.</returns>
    public static bool TryWriteResponse(in PerMessageDeflateParameters parameters, Span<char> destination, out int charsWritten)
    {
        return PerMessageDeflateText.TryWriteResponse(parameters, destination, out charsWritten);
    }

    // ---------------------------------------------------------------- shared

    private static PerMessageDeflateNegotiationResult ReadParameter(ref ExtensionHeaderReader reader, bool isOffer,
        ref bool serverNct, ref bool clientNct, ref int serverBits, ref int clientBits, out bool clientBitsWithoutValue)
    {
        clientBitsWithoutValue = false;
        ReadOnlySpan<char> name = reader.ParameterName;
        if (name.Equals(ServerNoContextTakeoverName, StringComparison.OrdinalIgnoreCase))
            return Flag(ref reader, ref serverNct);
        if (name.Equals(ClientNoContextTakeoverName, StringComparison.OrdinalIgnoreCase))
            return Flag(ref reader, ref clientNct);
        if (name.Equals(ServerMaxWindowBitsName, StringComparison.OrdinalIgnoreCase))
        {
            if (serverBits != 0) return PerMessageDeflateNegotiationResult.DuplicateParameter;
            return WindowBits(ref reader, out serverBits);
        }
        if (name.Equals(ClientMaxWindowBitsName, StringComparison.OrdinalIgnoreCase))
        {
            if (clientBits != 0) return PerMessageDeflateNegotiationResult.DuplicateParameter;
            if (isOffer && !reader.HasParameterValue)
            {
                clientBits = -1; // seen, without a value (RFC 7692 §7.1.2.2 allows that in an offer only)
                clientBitsWithoutValue = true;
                return PerMessageDeflateNegotiationResult.Accepted;
            }
            return WindowBits(ref reader, out clientBits);
        }
        return PerMessageDeflateNegotiationResult.UnknownParameter;

        static PerMessageDeflateNegotiationResult Flag(ref ExtensionHeaderReader reader, ref bool flag)
        {
            if (flag) return PerMessageDeflateNegotiationResult.DuplicateParameter;
            if (reader.HasParameterValue) return PerMessageDeflateNegotiationResult.InvalidParameterValue;
            flag = true;
            return PerMessageDeflateNegotiationResult.Accepted;
        }

        static PerMessageDeflateNegotiationResult WindowBits(ref ExtensionHeaderReader reader, out int bits)
        {
            bits = -1; // marks the parameter as seen even when its value is bad
            if (!reader.HasParameterValue || reader.ParameterValueLength > 2)
                return PerMessageDeflateNegotiationResult.InvalidParameterValue;
            Span<char> v = stackalloc char[2];
            reader.TryCopyParameterValue(v, out int n);
            // 1*DIGIT without leading zeros, 8-15 (RFC 7692 §7.1.2.1).
            if (n == 1 && v[0] is '8' or '9') bits = v[0] - '0';
            else if (n == 2 && v[0] == '1' && v[1] is >= '0' and <= '5') bits = 10 + (v[1] - '0');
            else return PerMessageDeflateNegotiationResult.InvalidParameterValue;
            return PerMessageDeflateNegotiationResult.Accepted;
        }
    }
}
