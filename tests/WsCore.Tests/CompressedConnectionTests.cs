using WsCore.Framing;
using WsCore.Compression;
using WsCore.Pipelines;
using WsCore.Protocol;
namespace WsCore.Tests;
/// <summary>Regression: a compressed message larger than the receive buffer, whose compressed bytes were all consumed,
/// must still be delivered whole (the engine holds inflated output; the connection drains it before waiting).</summary>
public class CompressedConnectionTests
{
    [Fact]
    public async Task A_compressed_message_larger_than_the_receive_buffer_is_delivered_whole()
    {
        var o = new WebSocketConnectionOptions();
        var toServer = new System.IO.Pipelines.Pipe(); var toClient = new System.IO.Pipelines.Pipe();
        var p = PerMessageDeflateParameters.Default;
        var server = new WebSocketConnection(new DuplexPipe(toServer.Reader, toClient.Writer), WebSocketRole.Server, o, p);
        var client = new WebSocketConnection(new DuplexPipe(toClient.Reader, toServer.Writer), WebSocketRole.Client, o, p);
        byte[] message = new byte[100_000];
        for (int i = 0; i < message.Length; i++) message[i] = (byte)('a' + i % 26);
        await client.SendAsync(message, MessageKind.Text);
        var got = new MemoryStream(); byte[] buf = new byte[8192];
        while (true)
        {
            var r = await server.ReceiveAsync(buf).AsTask().WaitAsync(TimeSpan.FromSeconds(5));
            Assert.Equal(ConnectionReceiveKind.MessageData, r.Kind);
            got.Write(buf, 0, r.Count);
            if (r.EndOfMessage) break;
        }
        Assert.Equal(message, got.ToArray());
    }
}
