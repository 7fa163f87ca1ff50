using System.Text;
using FsCheck.Xunit;
using WsCore.Handshake;
using static WsCore.Tests.HandshakeTestData;

namespace WsCore.Tests;

/// <summary>
/// FsCheck properties of the incremental readers: the outcome and every exposed value are independent of how the
/// bytes are split, bytes after the head are never consumed, and arbitrary input never throws.
/// </summary>
public class HandshakeSplitPropertyTests
{
    private static readonly string[] Samples =
    [
        Rfc6455Request, ChromeRequest, FirefoxRequest, AutobahnRequest,
        Build("GET / HTTP/1.1", ["Host: a", "Upgrade: x, websocket", "Connection: upgrade", "Connection: close", "Sec-WebSocket-Key: " + RfcKey,
            "Sec-WebSocket-Version: 13", "Sec-WebSocket-Protocol: a,b", "Sec-WebSocket-Protocol: c", "Sec-WebSocket-Extensions: e1", "Sec-WebSocket-Extensions: e2; p=1"]),
        Without("Host"), With("X-A : 1"), With("X: \u0001"), Build("PUT / HTTP/1.1", BaseHeaders), Rfc6455Request.Replace("\r\n", "\n"),
        With(" folded"), Without("Sec-WebSocket-Version", "Sec-WebSocket-Version: 7"),
    ];

    /// <summary>Everything observable about an outcome, as one comparable string.</summary>
    private static string Describe(Outcome outcome)
    {
        // Bytes consumed are only meaningful once done (a rejected connection is closed).
        var sb = new StringBuilder().Append(outcome.Status).Append('|').Append(outcome.Error).Append('|')
            .Append(outcome.Status == HandshakeReadStatus.Done ? outcome.Consumed : -1);
        HandshakeRequest? r = outcome.Reader.Request;
        if (r is not null)
        {
            sb.Append('|').AppendJoin('|', r.Method, r.Protocol, r.Target, r.Path, r.Query, r.Host, r.Origin, r.Key, string.Join(",", r.Subprotocols), r.Extensions);
            for (int i = 0; i < r.HeaderCount; i++) sb.Append('|').Append(r.GetHeaderName(i)).Append('=').Append(r.GetHeaderValue(i));
        }
        return sb.ToString();
    }

    private static Func<int, int> Sizes(int[] sizes) =>
        sizes is null || sizes.Length == 0 ? _ => int.MaxValue : i => (int)(Math.Abs((long)sizes[i % sizes.Length]) % 64) + 1;

    [Property(MaxTest = 300)]
    public bool Outcome_DoesNotDependOnTheSplit(int sample, int[] sizes, byte[] trailing)
    {
        string request = Samples[(int)(Math.Abs((long)sample) % Samples.Length)];
        byte[] data = [.. Latin1(request), .. trailing ?? []];
        Outcome whole = Feed(data, _ => int.MaxValue);
        Outcome split = Feed(data, Sizes(sizes));
        Outcome bytewise = Feed(data, _ => 1);
        string expected = Describe(whole);
        return expected == Describe(split) && expected == Describe(bytewise)
            && (whole.Status != HandshakeReadStatus.Done || whole.Consumed == request.Length);
    }

    [Property(MaxTest = 300)]
    public bool TrailingBytes_AreNeverConsumed(int sample, int[] sizes, byte[] trailing)
    {
        string request = Samples[(int)(Math.Abs((long)sample) % 5)]; // the valid ones
        byte[] tail = trailing is { Length: > 0 } ? trailing : [0x81];
        Outcome outcome = Feed([.. Latin1(request), .. tail], Sizes(sizes));
        return outcome.Status == HandshakeReadStatus.Done && outcome.Consumed == request.Length;
    }

    [Property(MaxTest = 500)]
    public bool RandomGarbage_EndsInADefinedResult(byte[] garbage, int[] sizes)
    {
        garbage ??= [];
        Outcome outcome = Feed(garbage, Sizes(sizes));
        Outcome prefixed = Feed([.. "GET / HTTP/1.1\r\n"u8.ToArray(), .. garbage], Sizes(sizes));
        return Defined(outcome) && Defined(prefixed) && Describe(prefixed) == Describe(Feed([.. "GET / HTTP/1.1\r\n"u8.ToArray(), .. garbage], _ => 1));
    }

    /// <summary>Small limits put the limit checks in play: which limit fails first must not depend on the split either.</summary>
    [Property(MaxTest = 300)]
    public bool LimitErrors_DoNotDependOnTheSplit(int sample, int[] sizes, int lineLimit, int headLimit)
    {
        var options = new HandshakeOptions
        {
            MaxHeaderBytes = (int)(Math.Abs((long)headLimit) % 600) + 1,
            MaxHeaderLineLength = (int)(Math.Abs((long)lineLimit) % 120) + 1,
            MaxStartLineLength = (int)(Math.Abs((long)lineLimit) % 40) + 1,
            MaxHeaderCount = 6,
        };
        byte[] data = Latin1(Samples[(int)(Math.Abs((long)sample) % Samples.Length)]);
        string whole = Describe(Feed(data, _ => int.MaxValue, options));
        return whole == Describe(Feed(data, Sizes(sizes), options)) && whole == Describe(Feed(data, _ => 1, options));
    }

    /// <summary>Valid requests with random bytes overwritten: the deep paths, not only the first line.</summary>
    [Property(MaxTest = 500)]
    public bool MutatedRequests_AreSplitInvariant_AndNeverThrow(int sample, int[] positions, byte[] values, int[] sizes)
    {
        byte[] data = Latin1(Samples[(int)(Math.Abs((long)sample) % 5)]);
        if (positions is not null && values is not null)
        {
            for (int i = 0; i < Math.Min(positions.Length, values.Length); i++) data[(int)(Math.Abs((long)positions[i]) % data.Length)] = values[i];
        }
        Outcome whole = Feed(data, _ => int.MaxValue);
        return Defined(whole) && Describe(whole) == Describe(Feed(data, Sizes(sizes))) && Describe(whole) == Describe(Feed(data, _ => 1));
    }

    private static bool Defined(Outcome outcome) => outcome.Status switch
    {
        HandshakeReadStatus.NeedMoreData => outcome.Error == HandshakeRequestError.None && outcome.Reader.Request is null,
        HandshakeReadStatus.Rejected => outcome.Error != HandshakeRequestError.None && outcome.Reader.RejectionStatusCode >= 400 && outcome.Reader.Request is null,
        HandshakeReadStatus.Done => outcome.Error == HandshakeRequestError.None && outcome.Reader.Request is not null,
        _ => false,
    };

    private static string DescribeResponse(HandshakeResponseReader reader, int consumed)
    {
        var sb = new StringBuilder().Append(reader.Status).Append('|').Append(reader.Error).Append('|').Append(reader.Status == HandshakeReadStatus.Done ? consumed : -1).Append('|').Append(reader.StatusCode);
        HandshakeResponse? r = reader.Response;
        if (r is not null)
        {
            sb.Append('|').AppendJoin('|', r.StatusCode, r.ReasonPhrase, r.Subprotocol, r.Extensions);
            for (int i = 0; i < r.HeaderCount; i++) sb.Append('|').Append(r.GetHeaderName(i)).Append('=').Append(r.GetHeaderValue(i));
        }
        return sb.ToString();
    }

    private static string FeedResponse(byte[] data, Func<int, int> pieceSize)
    {
        var reader = new HandshakeResponseReader(RfcKey, ["chat", "superchat"], perMessageDeflate: new WsCore.Compression.PerMessageDeflateOptions { Enabled = true });
        int offset = 0, consumed = 0, piece = 0;
        while (offset < data.Length)
        {
            int size = Math.Clamp(pieceSize(piece++), 1, data.Length - offset);
            HandshakeReadStatus status = reader.Read(data.AsSpan(offset, size), out int c);
            consumed += c;
            offset += size;
            if (status != HandshakeReadStatus.NeedMoreData) break;
        }
        return DescribeResponse(reader, consumed);
    }

    private const string ValidResponse =
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + RfcAccept + "\r\n" +
        "Sec-WebSocket-Protocol: chat\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n";

    [Property(MaxTest = 300)]
    public bool ResponseReader_IsSplitInvariant_OnMutatedResponses(int[] positions, byte[] values, int[] sizes, byte[] trailing)
    {
        byte[] data = Latin1(ValidResponse);
        if (positions is not null && values is not null)
        {
            for (int i = 0; i < Math.Min(positions.Length, values.Length); i++) data[(int)(Math.Abs((long)positions[i]) % data.Length)] = values[i];
        }
        data = [.. data, .. trailing ?? []];
        string whole = FeedResponse(data, _ => int.MaxValue);
        return whole == FeedResponse(data, Sizes(sizes)) && whole == FeedResponse(data, _ => 1);
    }

    [Property(MaxTest = 300)]
    public bool ResponseReader_RandomGarbage_NeverThrows(byte[] garbage, int[] sizes)
    {
        garbage ??= [];
        string whole = FeedResponse(garbage, _ => int.MaxValue);
        return whole == FeedResponse(garbage, Sizes(sizes));
    }
}
