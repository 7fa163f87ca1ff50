namespace ConformanceRunner.Deflate;

/// <summary>One extension of a Sec-WebSocket-Extensions header: its name and parameters (a parameter without a
/// value has a null value; a parameter may occur more than once, which the parsers below reject).</summary>
internal sealed record ExtensionItem(string Name, List<(string Key, string? Value)> Parameters)
{
    /// <summary>Splits a header value into extensions (',') and parameters (';'), trimming blanks and quotes (RFC 6455 §9.1).</summary>
    public static List<ExtensionItem> ParseHeader(string? header)
    {
        var list = new List<ExtensionItem>();
        if (string.IsNullOrWhiteSpace(header)) return list;
        foreach (var ext in header.Split(','))
        {
            var parts = ext.Split(';');
            string name = parts[0].Trim();
            if (name.Length == 0) continue;
            var ps = new List<(string, string?)>();
            for (int i = 1; i < parts.Length; i++)
            {
                string p = parts[i].Trim();
                if (p.Length == 0) continue;
                int eq = p.IndexOf('=');
                if (eq < 0) ps.Add((p, null));
                else ps.Add((p[..eq].Trim(), p[(eq + 1)..].Trim().Trim('"')));
            }
            list.Add(new ExtensionItem(name, ps));
        }
        return list;
    }

    public const string PerMessageDeflate = "permessage-deflate";

    internal static bool TryWindowBits(string? value, out int bits)
        => int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out bits) && bits is >= 9 and <= 15;
}

/// <summary>
/// A client's permessage-deflate offer, with the four facts wstest's offers carry: whether the client accepts
/// client_no_context_takeover / client_max_window_bits from the server, and what it requests of the server
/// (server_no_context_takeover, server_max_window_bits=N; 0 = not requested).
/// </summary>
internal sealed record DeflateOffer(bool AcceptNoContextTakeover = true, bool AcceptMaxWindowBits = true,
    bool RequestNoContextTakeover = false, int RequestMaxWindowBits = 0)
{
    /// <summary>The offer as a client writes it (the parameter order wstest writes).</summary>
    public string ToHeader()
    {
        var s = ExtensionItem.PerMessageDeflate;
        if (AcceptNoContextTakeover) s += "; client_no_context_takeover";
        if (AcceptMaxWindowBits) s += "; client_max_window_bits";
        if (RequestNoContextTakeover) s += "; server_no_context_takeover";
        if (RequestMaxWindowBits != 0) s += $"; server_max_window_bits={RequestMaxWindowBits}";
        return s;
    }

    /// <summary>Several offers in preference order, as one header value.</summary>
    public static string ToHeader(IEnumerable<DeflateOffer> offers) => string.Join(", ", offers.Select(o => o.ToHeader()));

    /// <summary>
    /// Reads a client's offer the way wstest's server does: client_no_context_takeover is taken as accepted whether or
    /// not it is present (wstest's parser starts from "accepted"); client_max_window_bits (with or without a value
    /// 9..15) means the client accepts a window limit; an unknown, repeated or malformed parameter fails the handshake.
    /// </summary>
    public static bool TryParse(ExtensionItem item, out DeflateOffer offer, out string? error)
    {
        offer = new DeflateOffer(true, false, false, 0);
        error = null;
        var seen = new HashSet<string>();
        foreach (var (key, value) in item.Parameters)
        {
            if (!seen.Add(key)) { error = $"parameter {key} occurs more than once"; return false; }
            switch (key)
            {
                case "client_max_window_bits":
                    if (value is not null && !ExtensionItem.TryWindowBits(value, out _)) { error = $"bad value {value} of {key}"; return false; }
                    offer = offer with { AcceptMaxWindowBits = true };
                    break;
                case "client_no_context_takeover":
                    if (value is not null) { error = $"{key} takes no value"; return false; }
                    break;
                case "server_max_window_bits":
                    if (!ExtensionItem.TryWindowBits(value, out int bits)) { error = $"bad value {value} of {key}"; return false; }
                    offer = offer with { RequestMaxWindowBits = bits };
                    break;
                case "server_no_context_takeover":
                    if (value is not null) { error = $"{key} takes no value"; return false; }
                    offer = offer with { RequestNoContextTakeover = true };
                    break;
                default:
                    error = $"unknown parameter {key}";
                    return false;
            }
        }
        return true;
    }
}

/// <summary>A server's acceptance of one offer: it grants what the offer requested and may request
/// client_no_context_takeover and/or client_max_window_bits=N (0 = not requested) of the client.</summary>
internal sealed record DeflateOfferAccept(DeflateOffer Offer, bool RequestNoContextTakeover = false, int RequestMaxWindowBits = 0)
{
    /// <summary>The response header value, in the parameter order wstest writes.</summary>
    public string ToHeader()
    {
        var s = ExtensionItem.PerMessageDeflate;
        if (Offer.RequestNoContextTakeover) s += "; server_no_context_takeover";
        if (Offer.RequestMaxWindowBits != 0) s += $"; server_max_window_bits={Offer.RequestMaxWindowBits}";
        if (RequestNoContextTakeover) s += "; client_no_context_takeover";
        if (RequestMaxWindowBits != 0) s += $"; client_max_window_bits={RequestMaxWindowBits}";
        return s;
    }

    /// <summary>The server's session: it compresses with what the client requested, inflates with what it requested.</summary>
    public DeflateSession CreateServerSession()
        => new(new MessageDeflater(Offer.RequestMaxWindowBits == 0 ? 15 : Offer.RequestMaxWindowBits, Offer.RequestNoContextTakeover),
            new MessageInflater(RequestMaxWindowBits == 0 ? 15 : RequestMaxWindowBits, RequestNoContextTakeover),
            ToHeader());
}

/// <summary>A server's permessage-deflate response as the client reads it (window bits 0 = absent).</summary>
internal sealed record DeflateResponse(int ClientMaxWindowBits, bool ClientNoContextTakeover, int ServerMaxWindowBits, bool ServerNoContextTakeover)
{
    /// <summary>Reads the response as wstest's client does: window bits must be 9..15, the no-context flags take no
    /// value, unknown or repeated parameters are errors (the client then fails the connection).</summary>
    public static bool TryParse(ExtensionItem item, out DeflateResponse response, out string? error)
    {
        response = new DeflateResponse(0, false, 0, false);
        error = null;
        var seen = new HashSet<string>();
        foreach (var (key, value) in item.Parameters)
        {
            if (!seen.Add(key)) { error = $"parameter {key} occurs more than once"; return false; }
            int bits;
            switch (key)
            {
                case "client_max_window_bits":
                    if (!ExtensionItem.TryWindowBits(value, out bits)) { error = $"bad value {value} of {key}"; return false; }
                    response = response with { ClientMaxWindowBits = bits };
                    break;
                case "client_no_context_takeover":
                    if (value is not null) { error = $"{key} takes no value"; return false; }
                    response = response with { ClientNoContextTakeover = true };
                    break;
                case "server_max_window_bits":
                    if (!ExtensionItem.TryWindowBits(value, out bits)) { error = $"bad value {value} of {key}"; return false; }
                    response = response with { ServerMaxWindowBits = bits };
                    break;
                case "server_no_context_takeover":
                    if (value is not null) { error = $"{key} takes no value"; return false; }
                    response = response with { ServerNoContextTakeover = true };
                    break;
                default:
                    error = $"unknown parameter {key}";
                    return false;
            }
        }
        return true;
    }

    /// <summary>The client's session: it compresses as the server asked, inflates as the server said it compresses.</summary>
    public DeflateSession CreateClientSession(string header)
        => new(new MessageDeflater(ClientMaxWindowBits == 0 ? 15 : ClientMaxWindowBits, ClientNoContextTakeover),
            new MessageInflater(ServerMaxWindowBits == 0 ? 15 : ServerMaxWindowBits, ServerNoContextTakeover),
            header);
}

/// <summary>The permessage-deflate state of one connection: outgoing compressor and incoming inflater.</summary>
internal sealed class DeflateSession(MessageDeflater deflater, MessageInflater inflater, string agreed) : IDisposable
{
    public MessageDeflater Deflater { get; } = deflater;
    public MessageInflater Inflater { get; } = inflater;

    /// <summary>The negotiated extension as it appeared in the response header.</summary>
    public string Agreed { get; } = agreed;

    public void Dispose()
    {
        Deflater.Dispose();
        Inflater.Dispose();
    }
}

/// <summary>What a case asks of permessage-deflate: the client's offers (fuzzingclient role) and the server's
/// choice among a client's offers (fuzzingserver role; null = decline).</summary>
internal sealed record DeflateSetup(DeflateOffer[] Offers, Func<IReadOnlyList<DeflateOffer>, DeflateOfferAccept?> Accept, string OfferText, string AcceptText);
