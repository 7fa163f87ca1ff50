using WsCore.Compression;
using WsCore.Handshake;

namespace WsCore.Fuzz;

/// <summary>
/// <c>extensions</c>: the input (after byte 0) read as Latin-1 characters is a <c>Sec-WebSocket-Extensions</c> value.
/// Byte 0 picks a client policy (bits 0-2) and a server policy (bits 3-5). Checks: <see cref="ExtensionHeaderReader"/>
/// ends (bounded steps), yields token names and values that copy; <see cref="PerMessageDeflateNegotiation.SelectOffer(PerMessageDeflateOptions, ReadOnlySpan{char}, out PerMessageDeflateParameters)"/>
/// and <see cref="PerMessageDeflateNegotiation.ProcessResponse(PerMessageDeflateOptions, ReadOnlySpan{char}, out PerMessageDeflateParameters)"/>
/// never throw and accept only windows of 8-15 within the local policy; the client accepts the server's
/// <see cref="PerMessageDeflateNegotiation.CreateResponse"/> to the client's own offer with the same parameters; a
/// response the server writes for the fuzzed offer is itself a valid header the client of a permissive policy accepts.
/// </summary>
public sealed class ExtensionsTarget : IFuzzTarget
{
    private static readonly PerMessageDeflateOptions[] s_policies =
    [
        new() { Enabled = true },
        new() { Enabled = true, OfferClientMaxWindowBits = false },
        new() { Enabled = true, ServerNoContextTakeover = true, ClientNoContextTakeover = true },
        new() { Enabled = true, ServerMaxWindowBits = 10, ClientMaxWindowBits = 12 },
        new() { Enabled = true, ServerMaxWindowBits = 8, ClientMaxWindowBits = 8, ServerNoContextTakeover = true },
        new() { Enabled = true, ClientMaxWindowBits = 9, OfferClientMaxWindowBits = false },
        new() { Enabled = true, ServerMaxWindowBits = 15, ClientMaxWindowBits = 15, ClientNoContextTakeover = true },
        PerMessageDeflateOptions.Disabled,
    ];

    /// <inheritdoc/>
    public string Name => "extensions";

    /// <inheritdoc/>
    public void Run(ReadOnlySpan<byte> input)
    {
        if (input.Length == 0) return;
        PerMessageDeflateOptions client = s_policies[input[0] & 7];
        PerMessageDeflateOptions server = s_policies[(input[0] >> 3) & 7];
        char[] text = new char[input.Length - 1];
        for (int i = 0; i < text.Length; i++) text[i] = (char)input[i + 1];

        ReadHeader(text);

        PerMessageDeflateNegotiationResult s = PerMessageDeflateNegotiation.SelectOffer(server, text, out PerMessageDeflateParameters selected);
        CheckResult(s, selected, "SelectOffer");
        if (s == PerMessageDeflateNegotiationResult.Accepted)
        {
            Oracle.Check(server.Enabled, "SelectOffer accepted with compression disabled");
            CheckWithin(selected, server, "SelectOffer");
            string response = PerMessageDeflateNegotiation.CreateResponse(selected);
            ReadHeader(response.ToCharArray());
        }
        else
        {
            Oracle.Check(s is PerMessageDeflateNegotiationResult.NotNegotiated or PerMessageDeflateNegotiationResult.MalformedHeader,
                "SelectOffer returned the client-only result {0}", s);
        }

        PerMessageDeflateNegotiationResult c = PerMessageDeflateNegotiation.ProcessResponse(client, text, out PerMessageDeflateParameters agreed);
        CheckResult(c, agreed, "ProcessResponse");
        if (c == PerMessageDeflateNegotiationResult.Accepted)
        {
            Oracle.Check(client.Enabled, "ProcessResponse accepted with compression disabled");
            CheckWithin(agreed, client, "ProcessResponse");
        }

        // The honest round trip: the client's own offer, answered by the server, is accepted with the same parameters.
        string? offer = PerMessageDeflateNegotiation.CreateOffer(client);
        Oracle.Check(offer is null == !client.Enabled, "CreateOffer is null exactly when disabled");
        if (offer is null) return;
        ReadHeader(offer.ToCharArray());
        PerMessageDeflateNegotiationResult r = PerMessageDeflateNegotiation.SelectOffer(server, offer, out PerMessageDeflateParameters p);
        Oracle.Check(r is PerMessageDeflateNegotiationResult.Accepted or PerMessageDeflateNegotiationResult.NotNegotiated, "SelectOffer of a written offer: {0}", r);
        if (r != PerMessageDeflateNegotiationResult.Accepted) return;
        CheckWithin(p, server, "SelectOffer of a written offer");
        string answer = PerMessageDeflateNegotiation.CreateResponse(p);
        PerMessageDeflateNegotiationResult back = PerMessageDeflateNegotiation.ProcessResponse(client, answer, out PerMessageDeflateParameters q);
        Oracle.Check(back == PerMessageDeflateNegotiationResult.Accepted, "the client rejects the server's answer to its own offer: {0}", back + " for " + answer);
        Oracle.Check(p == q, "the client read the answer as other parameters: {0}", p + " <> " + q);
        CheckWithin(q, client, "ProcessResponse of the answer");
    }

    private static void CheckResult(PerMessageDeflateNegotiationResult result, in PerMessageDeflateParameters parameters, string what)
    {
        Oracle.Check(Enum.IsDefined(result), "{0}: undefined result", what);
        if (result != PerMessageDeflateNegotiationResult.Accepted) return;
        Oracle.Check(parameters.ServerMaxWindowBits is >= 8 and <= 15 && parameters.ClientMaxWindowBits is >= 8 and <= 15,
            "{0}: window bits outside 8-15", what + " " + parameters);
    }

    // The agreed parameters never ask this endpoint for more than its policy allows.
    private static void CheckWithin(in PerMessageDeflateParameters p, PerMessageDeflateOptions policy, string what)
    {
        Oracle.Check(p.ServerMaxWindowBits <= policy.ServerMaxWindowBits && p.ClientMaxWindowBits <= policy.ClientMaxWindowBits,
            "{0}: windows larger than the policy allows", what + " " + p);
        Oracle.Check((!policy.ServerNoContextTakeover || p.ServerNoContextTakeover) && (!policy.ClientNoContextTakeover || p.ClientNoContextTakeover),
            "{0}: a required no_context_takeover is missing", what + " " + p);
    }

    private static void ReadHeader(ReadOnlySpan<char> text)
    {
        var reader = new ExtensionHeaderReader(text);
        Span<char> value = stackalloc char[64];
        int steps = 0;
        while (reader.MoveNextExtension())
        {
            Oracle.Check(++steps <= text.Length + 1, "more than {0} extension steps", text.Length + 1);
            ReadOnlySpan<char> name = reader.ExtensionName;
            Oracle.Check(!name.IsEmpty && AllToken(name), "extension name is not a token: {0}", name.ToString());
            while (reader.MoveNextParameter())
            {
                Oracle.Check(++steps <= text.Length + 1, "more than {0} parameter steps", text.Length + 1);
                ReadOnlySpan<char> p = reader.ParameterName;
                Oracle.Check(!p.IsEmpty && AllToken(p), "parameter name is not a token: {0}", p.ToString());
                if (!reader.HasParameterValue) continue;
                int length = reader.ParameterValueLength;
                Oracle.Check(length >= 0 && length <= reader.RawParameterValue.Length, "value length {0}", length);
                bool copied = reader.TryCopyParameterValue(value, out int n);
                Oracle.Check(copied == (length <= value.Length), "TryCopyParameterValue returned {0}", copied);
                if (copied)
                {
                    Oracle.Check(n == length, "copied {0} characters, not ParameterValueLength", n);
                    if (!reader.IsParameterValueQuoted) Oracle.Check(value.Slice(0, n).SequenceEqual(reader.RawParameterValue), "token value not copied as is");
                }
            }
        }
        if (reader.Error != ExtensionHeaderError.None)
            Oracle.Check(reader.ErrorPosition >= 0 && reader.ErrorPosition <= text.Length, "error position {0}", reader.ErrorPosition);
        Oracle.Check(!reader.MoveNextExtension(), "MoveNextExtension after the end returned true");
    }

    private static bool AllToken(ReadOnlySpan<char> s)
    {
        foreach (char ch in s)
        {
            if (!ExtensionHeaderReader.IsTokenChar(ch)) return false;
        }
        return true;
    }
}
