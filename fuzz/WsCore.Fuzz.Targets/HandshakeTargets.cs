using System.Text;
using WsCore.Compression;
using WsCore.Handshake;

namespace WsCore.Fuzz;

/// <summary>
/// <c>handshake-request</c>: <see cref="HandshakeRequestReader"/> fed the input (after byte 0) in input-chosen pieces.
/// Byte 0: bits 0-2 the largest piece, bit 3 small limits, bits 4-7 the split seed. The split result (status, error,
/// bytes consumed, every exposed value) must equal the one-piece result; the reader never consumes past the head,
/// consumes everything on NeedMoreData, examines at most twice the bytes it was given, and a Done request is
/// consistent: its key is valid and a 101 written for it is accepted by <see cref="HandshakeResponseReader"/>.
/// </summary>
public sealed class HandshakeRequestTarget : IFuzzTarget
{
    private static readonly int[] s_maxPiece = [1, 2, 3, 7, 16, 64, 300, int.MaxValue];
    private static readonly HandshakeOptions s_small = new() { MaxHeaderBytes = 300, MaxHeaderCount = 6, MaxStartLineLength = 80, MaxHeaderLineLength = 100 };

    /// <inheritdoc/>
    public string Name => "handshake-request";

    /// <inheritdoc/>
    public void Run(ReadOnlySpan<byte> input)
    {
        if (input.Length == 0) return;
        byte control = input[0];
        ReadOnlySpan<byte> data = input.Slice(1);
        HandshakeOptions? options = (control & 8) != 0 ? s_small : null;

        var whole = new HandshakeRequestReader(options);
        HandshakeReadStatus wholeStatus = whole.Read(data, out int wholeConsumed);
        Check(whole, wholeStatus, wholeConsumed, data, data.Length);
        string wholeSummary = Summary(whole, wholeStatus, wholeConsumed);

        var split = new HandshakeRequestReader(options);
        var schedule = new SplitSchedule((uint)control >> 4);
        int maxPiece = s_maxPiece[control & 7];
        int position = 0, consumed = 0;
        HandshakeReadStatus status = HandshakeReadStatus.NeedMoreData;
        while (true)
        {
            int length = Math.Min(schedule.Next(Math.Min(maxPiece, data.Length + 1)), data.Length - position);
            if (maxPiece == int.MaxValue) length = data.Length - position;
            status = split.Read(data.Slice(position, length), out int n);
            Oracle.Check(n >= 0 && n <= length, "consumed {0} bytes outside the piece", n);
            Oracle.Check(status == split.Status, "Read returned a status other than Status");
            if (status == HandshakeReadStatus.NeedMoreData) Oracle.Check(n == length, "NeedMoreData left {0} bytes", length - n);
            if (status == HandshakeReadStatus.Rejected) Oracle.Check(n == 0, "Rejected consumed {0} bytes", n);
            consumed += n;
            position += length;
            if (status != HandshakeReadStatus.NeedMoreData || position == data.Length) break;
        }
        Check(split, status, consumed, data, position);
        // After the end: more calls consume nothing and keep the status.
        if (status != HandshakeReadStatus.NeedMoreData)
        {
            HandshakeReadStatus again = split.Read(data, out int extra);
            Oracle.Check(again == status && extra == 0 && split.Status == status, "a call after {0} changed something", status);
        }
        if (status == HandshakeReadStatus.Rejected) consumed = 0;
        string splitSummary = Summary(split, status, consumed);
        Oracle.Check(wholeSummary == splitSummary, "split result differs from the one-piece result: {0}", wholeSummary + " <> " + splitSummary);
    }

    private static void Check(HandshakeRequestReader reader, HandshakeReadStatus status, int consumed, ReadOnlySpan<byte> data, int fed)
    {
        Oracle.Check(reader.BytesExamined <= 2L * fed, "examined {0} bytes: more than twice the bytes given", reader.BytesExamined);
        switch (status)
        {
            case HandshakeReadStatus.NeedMoreData:
                Oracle.Check(reader.Request is null && reader.Error == HandshakeRequestError.None, "NeedMoreData with a request or an error");
                break;
            case HandshakeReadStatus.Rejected:
                Oracle.Check(reader.Request is null && reader.Error != HandshakeRequestError.None, "Rejected without an error");
                Oracle.Check(reader.RejectionStatusCode >= 400 && reader.RejectionStatusCode <= 599, "rejection status {0}", reader.RejectionStatusCode);
                break;
            case HandshakeReadStatus.Done:
            {
                HandshakeRequest? request = reader.Request;
                Oracle.Check(request is not null && reader.Error == HandshakeRequestError.None, "Done without a request");
                Oracle.Check(consumed == reader.HeadLength && consumed >= 4, "consumed {0} bytes, not the head", consumed);
                Oracle.Check(data[consumed - 1] == (byte)'\n', "the head does not end with a line feed");
                // The head holds no blank line before its end: nothing past it was consumed.
                Oracle.Check(data.Slice(0, consumed - 2).IndexOf("\n\r\n"u8) < 0 && data.Slice(0, consumed - 1).IndexOf("\n\n"u8) < 0,
                    "consumed past the first blank line");
                CheckConsistent(request!);
                break;
            }
            default:
                Oracle.Check(false, "undefined status {0}", status);
                break;
        }
    }

    private static void CheckConsistent(HandshakeRequest request)
    {
        Oracle.Check(WebSocketAccept.IsValidKey(request.Key), "Done with an invalid key {0}", request.Key);
        string? subprotocol = request.Subprotocols.Count > 0 ? request.Subprotocols[0] : null;
        if (subprotocol is not null) Oracle.Check(request.OffersSubprotocol(subprotocol), "OffersSubprotocol({0}) is false", subprotocol);
        // The 101 into a growing buffer; the span overload into 1024 bytes must agree: the same bytes when they fit,
        // false (not an exception, not a truncated head) when they do not (a request may name a subprotocol as long
        // as a header line may be).
        var output = new System.Buffers.ArrayBufferWriter<byte>();
        int written = HandshakeResponseWriter.WriteSwitchingProtocols(output, request.Key, subprotocol);
        byte[] fixedBuffer = new byte[1024];
        bool fits = HandshakeResponseWriter.TryWriteSwitchingProtocols(fixedBuffer, request.Key, subprotocol, null, out int fixedWritten);
        Oracle.Check(fits == (written <= fixedBuffer.Length), "TryWriteSwitchingProtocols disagrees on whether a {0}-byte head fits 1024 bytes", written);
        Oracle.Check(fits ? fixedBuffer.AsSpan(0, fixedWritten).SequenceEqual(output.WrittenSpan) : fixedWritten == 0,
            "TryWriteSwitchingProtocols wrote other bytes than WriteSwitchingProtocols");
        ReadOnlySpan<byte> response = output.WrittenSpan;
        var client = new HandshakeResponseReader(request.Key, request.Subprotocols);
        HandshakeReadStatus s = client.Read(response, out int n);
        Oracle.Check(s == HandshakeReadStatus.Done, "the 101 written for the request is not accepted: {0}", client.Error);
        Oracle.Check(n == written && client.StatusCode == 101, "the 101 was consumed as {0} bytes", n);
        Oracle.Check(client.Response!.Subprotocol == subprotocol, "the chosen subprotocol {0} was not read back", subprotocol);
    }

    private static string Summary(HandshakeRequestReader reader, HandshakeReadStatus status, int consumed)
    {
        var sb = new StringBuilder();
        sb.Append(status).Append('|').Append(reader.Error).Append('|').Append(consumed);
        HandshakeRequest? r = reader.Request;
        if (r is null) return sb.ToString();
        sb.Append('|').Append(r.Method).Append('|').Append(r.Protocol).Append('|').Append(r.Target).Append('|').Append(r.Path)
          .Append('|').Append(r.Query).Append('|').Append(r.Host).Append('|').Append(r.Origin ?? "<null>").Append('|').Append(r.Key)
          .Append('|').Append(string.Join(",", r.Subprotocols)).Append('|').Append(r.Extensions ?? "<null>");
        for (int i = 0; i < r.HeaderCount; i++) sb.Append('|').Append(r.GetHeaderName(i)).Append(':').Append(r.GetHeaderValue(i));
        return sb.ToString();
    }
}

/// <summary>
/// <c>handshake-response</c>: <see cref="HandshakeResponseReader"/> for a fixed key and fixed offered subprotocols, fed the
/// input (after byte 0) in input-chosen pieces. Byte 0: bits 0-2 the largest piece, bit 3 permessage-deflate offered,
/// bits 4-7 the split seed. No exception; the split result equals the one-piece result; a Done answer is a 101 whose
/// subprotocol was offered, which carries no extension unless one was offered, and whose permessage-deflate parameters
/// are what <see cref="PerMessageDeflateNegotiation.ProcessResponse(PerMessageDeflateOptions, ReadOnlySpan{char}, out PerMessageDeflateParameters)"/> agrees.
/// </summary>
public sealed class HandshakeResponseTarget : IFuzzTarget
{
    /// <summary>The key the fixed request carried (RFC 6455 §1.3's sample nonce).</summary>
    public const string Key = "dGhlIHNhbXBsZSBub25jZQ==";
    private static readonly string[] s_offered = ["chat", "superchat"];
    private static readonly PerMessageDeflateOptions s_deflate = new() { Enabled = true };
    private static readonly int[] s_maxPiece = [1, 2, 3, 7, 16, 64, 300, int.MaxValue];

    /// <inheritdoc/>
    public string Name => "handshake-response";

    /// <inheritdoc/>
    public void Run(ReadOnlySpan<byte> input)
    {
        if (input.Length == 0) return;
        byte control = input[0];
        bool extensionsOffered = (control & 8) != 0;
        ReadOnlySpan<byte> data = input.Slice(1);

        PerMessageDeflateOptions? deflate = extensionsOffered ? s_deflate : null;
        var whole = new HandshakeResponseReader(Key, s_offered, deflate);
        HandshakeReadStatus wholeStatus = whole.Read(data, out int wholeConsumed);
        Check(whole, wholeStatus, wholeConsumed, data, data.Length, extensionsOffered);

        var split = new HandshakeResponseReader(Key, s_offered, deflate);
        var schedule = new SplitSchedule((uint)control >> 4);
        int maxPiece = s_maxPiece[control & 7];
        int position = 0, consumed = 0;
        HandshakeReadStatus status;
        while (true)
        {
            int length = Math.Min(schedule.Next(Math.Min(maxPiece, data.Length + 1)), data.Length - position);
            if (maxPiece == int.MaxValue) length = data.Length - position;
            status = split.Read(data.Slice(position, length), out int n);
            Oracle.Check(n >= 0 && n <= length, "consumed {0} bytes outside the piece", n);
            if (status == HandshakeReadStatus.NeedMoreData) Oracle.Check(n == length, "NeedMoreData left {0} bytes", length - n);
            consumed += n;
            position += length;
            if (status != HandshakeReadStatus.NeedMoreData || position == data.Length) break;
        }
        Check(split, status, consumed, data, position, extensionsOffered);
        if (status == HandshakeReadStatus.Rejected) consumed = wholeStatus == HandshakeReadStatus.Rejected ? wholeConsumed : consumed;
        string a = Summary(whole, wholeStatus, wholeConsumed), b = Summary(split, status, consumed);
        Oracle.Check(a == b, "split result differs from the one-piece result: {0}", a + " <> " + b);
    }

    private static void Check(HandshakeResponseReader reader, HandshakeReadStatus status, int consumed, ReadOnlySpan<byte> data, int fed, bool extensionsOffered)
    {
        Oracle.Check(reader.BytesExamined <= 2L * fed, "examined {0} bytes: more than twice the bytes given", reader.BytesExamined);
        Oracle.Check(status == reader.Status, "Read returned a status other than Status");
        if (status == HandshakeReadStatus.Rejected)
        {
            Oracle.Check(reader.Error != HandshakeResponseError.None, "Rejected without an error");
            // Only a complete head with a status other than 101 leaves the response for the host to inspect.
            Oracle.Check(reader.Response is null || (reader.Error == HandshakeResponseError.UnexpectedStatusCode && reader.StatusCode != 101
                && reader.Response.StatusCode == reader.StatusCode), "Rejected ({0}) with a response", reader.Error);
        }
        if (status == HandshakeReadStatus.NeedMoreData) Oracle.Check(reader.Response is null, "NeedMoreData with a response");
        if (status != HandshakeReadStatus.Done) return;
        HandshakeResponse? response = reader.Response;
        Oracle.Check(response is not null && reader.Error == HandshakeResponseError.None, "Done without a response");
        Oracle.Check(reader.StatusCode == 101 && response!.StatusCode == 101, "Done with status {0}", reader.StatusCode);
        Oracle.Check(consumed >= 4 && data[consumed - 1] == (byte)'\n', "consumed {0} bytes: not a head", consumed);
        Oracle.Check(data.Slice(0, consumed - 2).IndexOf("\n\r\n"u8) < 0 && data.Slice(0, consumed - 1).IndexOf("\n\n"u8) < 0,
            "consumed past the first blank line");
        Oracle.Check(response!.Subprotocol is null || Array.IndexOf(s_offered, response.Subprotocol) >= 0, "subprotocol {0} was not offered", response.Subprotocol);
        Oracle.Check(extensionsOffered || string.IsNullOrEmpty(response.Extensions), "extensions {0} accepted without an offer", response.Extensions);
        // RFC 6455 §4.1 / RFC 7692 §7.1: an accepted answer is one the negotiator accepts (or one without permessage-deflate).
        PerMessageDeflateNegotiationResult negotiated = PerMessageDeflateNegotiation.ProcessResponse(s_deflate, response.Extensions ?? "", out PerMessageDeflateParameters agreed);
        Oracle.Check(extensionsOffered || response.PerMessageDeflate is null, "permessage-deflate agreed without an offer");
        Oracle.Check(!extensionsOffered || (negotiated == PerMessageDeflateNegotiationResult.Accepted
            ? response.PerMessageDeflate == agreed : negotiated == PerMessageDeflateNegotiationResult.NotNegotiated && response.PerMessageDeflate is null),
            "extensions accepted although the negotiator says {0}", negotiated);
    }

    private static string Summary(HandshakeResponseReader reader, HandshakeReadStatus status, int consumed)
    {
        var sb = new StringBuilder();
        sb.Append(status).Append('|').Append(reader.Error).Append('|').Append(reader.StatusCode).Append('|').Append(status == HandshakeReadStatus.Done ? consumed : -1);
        HandshakeResponse? r = reader.Response;
        if (r is null) return sb.ToString();
        sb.Append('|').Append(r.ReasonPhrase).Append('|').Append(r.Subprotocol ?? "<null>").Append('|').Append(r.Extensions ?? "<null>")
          .Append('|').Append(r.PerMessageDeflate?.ToString() ?? "<null>");
        for (int i = 0; i < r.HeaderCount; i++) sb.Append('|').Append(r.GetHeaderName(i)).Append(':').Append(r.GetHeaderValue(i));
        return sb.ToString();
    }
}
