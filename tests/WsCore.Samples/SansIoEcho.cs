using WsCore.Framing;
using System.Buffers;
using System.Text;
using WsCore.Protocol;

namespace Samples;

/// <summary>
/// The sans-I/O core: <see cref="WebSocketProtocol"/> takes the bytes a transport received and writes the frames to send
/// into an <see cref="IBufferWriter{T}"/>. No socket, no task, no clock: the same code runs over any transport.
/// </summary>
public static class SansIoEcho
{
    /// <summary>The server's side of any transport: call it with each chunk of bytes received; send what it wrote.</summary>
    public static void OnReceived(WebSocketProtocol protocol, ReadOnlySpan<byte> received, IBufferWriter<byte> output, Span<byte> message)
    {
        ReadOnlySpan<byte> input = received;
        while (!input.IsEmpty || protocol.HasPendingReceiveData) // compressed data may inflate past one destination
        {
            ReceiveStatus status = protocol.Receive(input, message, out ReceiveResult r);
            input = input.Slice(r.BytesConsumed);
            switch (status)
            {
                case ReceiveStatus.MessageData:   // r.BytesWritten bytes of a r.MessageKind message; r.EndOfMessage on its last piece
                    protocol.WriteMessage(output, message.Slice(0, r.BytesWritten), r.MessageKind, r.EndOfMessage); // echo
                    break;
                case ReceiveStatus.NeedMoreData:  // everything was consumed: wait for the next chunk
                case ReceiveStatus.Ping:          // a pong is queued (auto-pong)
                case ReceiveStatus.Pong:
                case ReceiveStatus.Close:         // the close reply is queued; protocol.PeerCloseCode
                case ReceiveStatus.ProtocolError: // protocol.Violation; the close frame (1002, 1007, 1009, ...) is queued
                    break;
            }
        }
        protocol.WritePendingOutput(output); // queued pongs and close frames
        // Close the transport once protocol.CanCloseTransport.
    }

    /// <summary>A client and a server engine talking through two buffers: what a socket would carry.</summary>
    public static string Run(string text)
    {
        var client = new WebSocketProtocol(WebSocketRole.Client);
        var server = new WebSocketProtocol(WebSocketRole.Server, new WebSocketProtocolOptions { MaxMessageLength = 1024 * 1024 });
        var toServer = new ArrayBufferWriter<byte>();
        var toClient = new ArrayBufferWriter<byte>();
        byte[] message = new byte[16 * 1024]; // message data lands here, unmasked and validated

        client.WriteMessage(toServer, Encoding.UTF8.GetBytes(text), MessageKind.Text, endOfMessage: true);
        // Any split of the bytes gives the same events: feed them one byte at a time.
        for (int i = 0; i < toServer.WrittenCount; i++) OnReceived(server, toServer.WrittenSpan.Slice(i, 1), toClient, message);

        var echo = new ArrayBufferWriter<byte>(); // the echo came back in as many fragments as the server got pieces
        ReadOnlySpan<byte> input = toClient.WrittenSpan;
        while (!input.IsEmpty)
        {
            ReceiveStatus status = client.Receive(input, message, out ReceiveResult r);
            input = input.Slice(r.BytesConsumed);
            if (status == ReceiveStatus.MessageData) echo.Write(message.AsSpan(0, r.BytesWritten));
        }
        return Encoding.UTF8.GetString(echo.WrittenSpan);
    }
}
