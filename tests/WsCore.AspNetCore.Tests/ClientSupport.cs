using System.Net.WebSockets;
using System.Text;

namespace WsCore.AspNetCore.Tests;

/// <summary>ClientWebSocket helpers: whole messages, bounded in time.</summary>
public static class ClientSupport
{
    public static async Task<(WebSocketMessageType Type, byte[] Data)> ReceiveMessageAsync(this ClientWebSocket client)
    {
        using var cts = new CancellationTokenSource(KestrelServer.Timeout);
        using var data = new MemoryStream();
        byte[] buffer = new byte[64 * 1024];
        while (true)
        {
            ValueWebSocketReceiveResult r = await client.ReceiveAsync(buffer.AsMemory(), cts.Token);
            if (r.MessageType == WebSocketMessageType.Close) return (r.MessageType, data.ToArray());
            data.Write(buffer, 0, r.Count);
            if (r.EndOfMessage) return (r.MessageType, data.ToArray());
        }
    }

    public static async Task<string> ReceiveTextAsync(this ClientWebSocket client)
    {
        (WebSocketMessageType type, byte[] data) = await client.ReceiveMessageAsync();
        Assert.Equal(WebSocketMessageType.Text, type);
        return Encoding.UTF8.GetString(data);
    }

    public static async Task<byte[]> EchoAsync(this ClientWebSocket client, byte[] payload, WebSocketMessageType type)
    {
        using var cts = new CancellationTokenSource(KestrelServer.Timeout);
        Task<(WebSocketMessageType Type, byte[] Data)> receive = client.ReceiveMessageAsync();
        await client.SendAsync(payload, type, endOfMessage: true, cts.Token);
        (WebSocketMessageType receivedType, byte[] data) = await receive;
        Assert.Equal(type, receivedType);
        return data;
    }

    /// <summary>The closing handshake from the client side; the server must answer it.</summary>
    public static async Task CloseNormallyAsync(this ClientWebSocket client)
    {
        using var cts = new CancellationTokenSource(KestrelServer.Timeout);
        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", cts.Token);
        Assert.Equal(WebSocketState.Closed, client.State);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, client.CloseStatus);
    }

    public static byte[] RandomBytes(int length, int seed)
    {
        byte[] data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    /// <summary>Text that compresses, and is not all ASCII.</summary>
    public static byte[] CompressibleText(int repeat) => Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("héllo wörld, ", repeat)));
}
