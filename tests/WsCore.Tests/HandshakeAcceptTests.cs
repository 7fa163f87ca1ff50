using System.Buffers;
using System.Text;
using WsCore.Handshake;

namespace WsCore.Tests;

/// <summary>RFC 6455 §1.3 / §4.2.2: Sec-WebSocket-Accept = base64(SHA-1(key + GUID)), and key validity (§4.1 item 7).</summary>
public class HandshakeAcceptTests
{
    [Theory]
    [InlineData("dGhlIHNhbXBsZSBub25jZQ==", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")] // RFC 6455 §1.3
    [InlineData("x3JJHMbDL1EzLkh9GBhXDw==", "HSmrc0sMlYUkAGmm5OPpG2HaGWk=")]
    public void Rfc6455_1_3_ComputesAccept(string key, string expected)
    {
        Span<byte> accept = stackalloc byte[WebSocketAccept.AcceptLength];
        Assert.Equal(OperationStatus.Done, WebSocketAccept.TryCompute(Encoding.ASCII.GetBytes(key), accept, out int written));
        Assert.Equal(28, written);
        Assert.Equal(expected, Encoding.ASCII.GetString(accept));

        Assert.Equal(OperationStatus.Done, WebSocketAccept.TryCompute(key.AsSpan(), accept, out written));
        Assert.Equal(expected, Encoding.ASCII.GetString(accept.Slice(0, written)));
        Assert.True(WebSocketAccept.Matches(Encoding.ASCII.GetBytes(key), Encoding.ASCII.GetBytes(expected)));
    }

    [Fact]
    public void Accept_MatchesAReferenceComputation_ForRandomKeys()
    {
        var random = new Random(6455);
        Span<byte> accept = stackalloc byte[28];
        for (int i = 0; i < 200; i++)
        {
            var nonce = new byte[16];
            random.NextBytes(nonce);
            string key = Convert.ToBase64String(nonce);
            string reference = Convert.ToBase64String(System.Security.Cryptography.SHA1.HashData(Encoding.ASCII.GetBytes(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));
            Assert.Equal(OperationStatus.Done, WebSocketAccept.TryCompute(Encoding.ASCII.GetBytes(key), accept, out _));
            Assert.Equal(reference, Encoding.ASCII.GetString(accept));
            Assert.True(WebSocketAccept.IsValidKey(key));
        }
    }

    [Fact]
    public void TryCompute_AllocatesNothing()
    {
        byte[] key = Encoding.ASCII.GetBytes(HandshakeTestData.RfcKey);
        byte[] expected = Encoding.ASCII.GetBytes(HandshakeTestData.RfcAccept);
        var destination = new byte[28];
        for (int i = 0; i < 100; i++) WebSocketAccept.TryCompute(key, destination, out _); // warm up (JIT, OpenSSL init)
        WebSocketAccept.Matches(key, expected);
        WebSocketAccept.TryCompute(HandshakeTestData.RfcKey.AsSpan(), destination, out _);

        long before = GC.GetAllocatedBytesForCurrentThread();
        bool ok = true;
        for (int i = 0; i < 1000; i++)
        {
            ok &= WebSocketAccept.TryCompute(key, destination, out _) == OperationStatus.Done;
            ok &= WebSocketAccept.Matches(key, expected);
            ok &= WebSocketAccept.TryCompute(HandshakeTestData.RfcKey.AsSpan(), destination, out _) == OperationStatus.Done;
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(ok);
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void TryCompute_says_why_it_refused_a_short_destination_or_a_bad_key()
    {
        Assert.Equal(OperationStatus.DestinationTooSmall, WebSocketAccept.TryCompute(Encoding.ASCII.GetBytes(HandshakeTestData.RfcKey), new byte[27], out int written));
        Assert.Equal(0, written);
        Assert.Equal(OperationStatus.InvalidData, WebSocketAccept.TryCompute(new byte[257], new byte[28], out _));
        Assert.Equal(OperationStatus.InvalidData, WebSocketAccept.TryCompute("é".AsSpan(), new byte[28], out _));
    }

    [Fact]
    public void Matches_WrongAcceptOrLength_IsFalse()
    {
        byte[] key = Encoding.ASCII.GetBytes(HandshakeTestData.RfcKey);
        Assert.False(WebSocketAccept.Matches(key, Encoding.ASCII.GetBytes("s3pPLMBiTxaQ9kYGzzhZRbK+xOp=")));
        Assert.False(WebSocketAccept.Matches(key, Encoding.ASCII.GetBytes("s3pPLMBiTxaQ9kYGzzhZRbK+xOo")));
        Assert.False(WebSocketAccept.Matches(key, default));
    }

    [Theory]
    [InlineData("dGhlIHNhbXBsZSBub25jZQ==", true)]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAA==", true)]
    [InlineData("/////////////////////w==", true)]
    [InlineData("dGhlIHNhbXBsZSBub25jZR==", false)] // non-zero padding bits: not canonical
    [InlineData("dGhlIHNhbXBsZSBub25jZQ=", false)]
    [InlineData("dGhlIHNhbXBsZSBub25jZQ===", false)]
    [InlineData("dGhlIHNhbXBsZSBub25jZQAA", false)] // 18 bytes, not 16
    [InlineData("dGhlIHNhbXBsZSBub25j", false)]
    [InlineData("dGhlIHNhbXBs ZSBub25jQ==", false)]
    [InlineData("dGhlIHNhbXBsZSBub25jZ-==", false)]
    [InlineData("", false)]
    public void Rfc6455_4_1_Item7_KeyMustBeBase64Of16Bytes(string key, bool valid)
    {
        Assert.Equal(valid, WebSocketAccept.IsValidKey(key));
        Assert.Equal(valid, WebSocketAccept.IsValidKey(Encoding.ASCII.GetBytes(key)));
        if (valid) Assert.Equal(16, Convert.FromBase64String(key).Length);
    }
}
