using System.Text;
using WsCore.Handshake;
using static WsCore.Tests.HandshakeTestData;

namespace WsCore.Tests;

/// <summary>Hard limits on the upgrade head (HandshakeOptions) and linear work in the size of the input.</summary>
public class HandshakeLimitsTests
{
    private static string Filler(int headerCount, int valueLength) =>
        string.Concat(Enumerable.Range(0, headerCount).Select(i => $"X-F{i:D2}: {new string('v', valueLength)}\r\n"));

    /// <summary>A valid request of exactly <paramref name="totalLength"/> bytes (padding in one header).</summary>
    private static string RequestOfLength(int totalLength)
    {
        string start = Rfc6455Request.Substring(0, Rfc6455Request.Length - 2);
        int room = totalLength - start.Length - 2;
        var sb = new StringBuilder(start);
        int i = 0;
        while (room > 0)
        {
            int line = Math.Min(room, 4000);
            // "X-Pad00: " + value + CRLF; a header line needs at least 12 bytes.
            if (room - line is > 0 and < 12) line -= 12;
            int valueLength = line - 11;
            sb.Append($"X-Pad{i++:D2}: ").Append('p', valueLength).Append("\r\n");
            room -= line;
        }
        sb.Append("\r\n");
        Assert.Equal(totalLength, sb.Length);
        return sb.ToString();
    }

    [Fact]
    public void Defaults_AreSafe()
    {
        var options = HandshakeOptions.Default;
        Assert.Equal(8192, options.MaxHeaderBytes);
        Assert.Equal(64, options.MaxHeaderCount);
        Assert.Equal(4096, options.MaxStartLineLength);
        Assert.Equal(4096, options.MaxHeaderLineLength);
        Assert.Throws<ArgumentOutOfRangeException>(() => new HandshakeOptions { MaxHeaderBytes = 0 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new HandshakeOptions { MaxHeaderCount = -1 });
    }

    [Fact]
    public void HeadOfExactlyMaxHeaderBytes_IsAccepted_OneByteMoreIs431()
    {
        Assert.Equal(HandshakeReadStatus.Done, FeedBytewise(RequestOfLength(8192)).Status);
        Outcome over = FeedBytewise(RequestOfLength(8193));
        Assert.Equal(HandshakeRequestError.HeadersTooLarge, over.Error);
        Assert.Equal(431, over.Reader.RejectionStatusCode);
        Assert.Equal(HandshakeRequestError.HeadersTooLarge, FeedAll(RequestOfLength(8193)).Error);
    }

    [Fact]
    public void RequestLineOverLimit_Is414()
    {
        string target = "/" + new string('a', 4096 - "GET / HTTP/1.1".Length);
        Assert.Equal(HandshakeReadStatus.Done, FeedAll(Build($"GET {target} HTTP/1.1", BaseHeaders)).Status);
        string longer = Build($"GET {target}a HTTP/1.1", BaseHeaders);
        Outcome outcome = FeedBytewise(longer);
        Assert.Equal(HandshakeRequestError.RequestLineTooLong, outcome.Error);
        Assert.Equal(414, outcome.Reader.RejectionStatusCode);
        Assert.Equal(HandshakeRequestError.RequestLineTooLong, FeedAll(longer).Error);
    }

    [Fact]
    public void HeaderLineOverLimit_Is431()
    {
        string exact = "X-Long: " + new string('v', 4096 - 8);
        Assert.Equal(HandshakeReadStatus.Done, FeedAll(With(exact)).Status);
        Outcome outcome = FeedBytewise(With(exact + "v"));
        Assert.Equal(HandshakeRequestError.HeaderLineTooLong, outcome.Error);
        Assert.Equal(431, outcome.Reader.RejectionStatusCode);
    }

    [Fact]
    public void HeaderCountOverLimit_Is431()
    {
        string[] filler59 = Enumerable.Range(0, 59).Select(i => $"X-{i}: 1").ToArray();
        Assert.Equal(HandshakeReadStatus.Done, FeedAll(With(filler59)).Status); // 5 + 59 = 64
        Outcome outcome = FeedAll(With([.. filler59, "X-last: 1"]));
        Assert.Equal(HandshakeRequestError.TooManyHeaders, outcome.Error);
        Assert.Equal(431, outcome.Reader.RejectionStatusCode);
    }

    [Fact]
    public void EndlessInputWithoutLineEnd_IsRejected_WithinTheLimit_AndMemoryStaysBounded()
    {
        var reader = new HandshakeRequestReader();
        byte[] chunk = new byte[1000];
        chunk.AsSpan().Fill((byte)'a');
        long fed = 0;
        HandshakeReadStatus status;
        do
        {
            status = reader.Read(chunk, out _);
            fed += chunk.Length;
        }
        while (status == HandshakeReadStatus.NeedMoreData && fed < 1_000_000);
        Assert.Equal(HandshakeReadStatus.Rejected, status);
        Assert.Equal(HandshakeRequestError.RequestLineTooLong, reader.Error);
        Assert.True(fed <= 5000, $"fed {fed}");
        Assert.True(reader.HeadLength <= 4097);
    }

    [Fact]
    public void EndlessHeaders_AreRejected_AtTheByteLimit()
    {
        var reader = new HandshakeRequestReader(new HandshakeOptions { MaxHeaderCount = 10_000 });
        Assert.Equal(HandshakeReadStatus.NeedMoreData, reader.Read("GET / HTTP/1.1\r\n"u8, out _));
        byte[] line = "X-Endless: 0123456789\r\n"u8.ToArray();
        HandshakeReadStatus status;
        int lines = 0;
        do
        {
            status = reader.Read(line, out _);
        }
        while (status == HandshakeReadStatus.NeedMoreData && ++lines < 100_000);
        Assert.Equal(HandshakeRequestError.HeadersTooLarge, reader.Error);
        Assert.True(reader.HeadLength <= 8192);
    }

    [Fact]
    public void CustomOptions_AreHonoured_ByTheResponseReaderToo()
    {
        var options = new HandshakeOptions { MaxHeaderBytes = 200, MaxHeaderCount = 3, MaxStartLineLength = 40, MaxHeaderLineLength = 60 };
        Assert.Equal(HandshakeRequestError.TooManyHeaders, FeedAll(Rfc6455Request, options).Error);
        Assert.Equal(HandshakeRequestError.RequestLineTooLong, FeedAll(Build("GET /" + new string('a', 40) + " HTTP/1.1", BaseHeaders), options).Error);
        Assert.Equal(HandshakeRequestError.HeaderLineTooLong, FeedAll(Build("GET / HTTP/1.1", ["X: " + new string('a', 60)]), options).Error);

        var client = new HandshakeResponseReader(RfcKey, options: options);
        string response = "HTTP/1.1 101 Switching Protocols\r\nX: " + new string('a', 60) + "\r\n\r\n";
        Assert.Equal(HandshakeReadStatus.Rejected, client.Read(Encoding.ASCII.GetBytes(response), out _));
        Assert.Equal(HandshakeResponseError.HeaderLineTooLong, client.Error);
    }

    /// <summary>
    /// Linear work (tungstenite CVE-2023-43669 re-parsed the whole buffer on every read: quadratic when fed one byte at a
    /// time). The reader counts the bytes it examines; fed a maximal head one byte at a time it must examine no more than
    /// twice the input (each byte searched once for LF, each line validated once), exactly as when fed in one piece.
    /// </summary>
    [Fact]
    public void MaxSizeRequest_FedOneByteAtATime_DoesLinearWork()
    {
        string request = Rfc6455Request.Substring(0, Rfc6455Request.Length - 2) + Filler(55, 120);
        request += "X-Last: " + new string('z', 8192 - request.Length - 12) + "\r\n\r\n";
        Assert.Equal(8192, request.Length);

        Outcome bytewise = FeedBytewise(request);
        Outcome whole = FeedAll(request);
        Assert.Equal(HandshakeReadStatus.Done, bytewise.Status);
        long work = bytewise.Reader.BytesExamined;
        Assert.InRange(work, request.Length, 2L * request.Length);
        Assert.Equal(whole.Reader.BytesExamined, work);
    }

    [Fact]
    public void LongHeaderLine_FedOneByteAtATime_DoesLinearWork()
    {
        var options = new HandshakeOptions { MaxHeaderBytes = 1 << 20, MaxHeaderLineLength = 1 << 20 };
        string request = With("X-Huge: " + new string('h', 500_000));
        var reader = new HandshakeRequestReader(options);
        byte[] data = Encoding.ASCII.GetBytes(request);
        HandshakeReadStatus status = HandshakeReadStatus.NeedMoreData;
        for (int i = 0; i < data.Length && status == HandshakeReadStatus.NeedMoreData; i++) status = reader.Read(data.AsSpan(i, 1), out _);
        Assert.Equal(HandshakeReadStatus.Done, status);
        Assert.InRange(reader.BytesExamined, data.Length, 2L * data.Length);
    }

    [Fact]
    public void ResponseReader_FedOneByteAtATime_DoesLinearWork()
    {
        string response = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + RfcAccept + "\r\n" +
            Filler(50, 140) + "\r\n";
        var reader = new HandshakeResponseReader(RfcKey);
        byte[] data = Encoding.ASCII.GetBytes(response);
        HandshakeReadStatus status = HandshakeReadStatus.NeedMoreData;
        for (int i = 0; i < data.Length && status == HandshakeReadStatus.NeedMoreData; i++) status = reader.Read(data.AsSpan(i, 1), out _);
        Assert.Equal(HandshakeReadStatus.Done, status);
        Assert.InRange(reader.BytesExamined, data.Length, 2L * data.Length);
    }
}
