using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;
using ConformanceRunner.Cases;
using ConformanceRunner.Wire;

namespace ConformanceRunner.Wire;

/// <summary>Where a test connection is in its life (the WebSocket states the grading rules refer to).</summary>
internal enum ConnectionState { Connecting, Open, Closing, Closed }

/// <summary>
/// The tester's end of one WebSocket connection, for either role (the fuzzing client tests a server; the fuzzing
/// server tests a client). It keeps exactly the facts the grader needs, with the same meaning as wstest's:
/// who sent the first close (<see cref="ClosedByMe"/>), who failed (<see cref="FailedByMe"/>) or dropped
/// (<see cref="DroppedByMe"/>) the connection, whether the closing handshake completed (<see cref="WasClean"/>), and
/// both close codes. Its reactions follow the rules wstest runs with: a protocol error found in the peer's data is
/// answered with a close frame (not a bare TCP drop); a second failure while closing drops TCP; a server drops TCP
/// right after the closing handshake, a client waits <see cref="ServerDropTimeout"/> for the server to do it.
/// <para>Threading: every state change and every case callback runs under <see cref="Gate"/>. Outgoing octets go
/// through a queue drained by a writer task, so a big send never blocks reading (no echo deadlock).</para>
/// </summary>
internal sealed class TestConnection
{
    public const double CloseHandshakeTimeout = 1.0;
    public const double ServerDropTimeout = 1.0;

    public readonly object Gate = new();
    public readonly bool IsServer;
    public readonly WireLog Log = new();
    public readonly Dictionary<int, int> TxFrameStats = new();
    public readonly Dictionary<int, int> RxFrameStats = new();

    public ConnectionState State = ConnectionState.Connecting;
    public bool ConnectionWasOpen, ClosedByMe, FailedByMe, DroppedByMe, WasClean;
    public bool WasServerConnectionDropTimeout, WasCloseHandshakeTimeout;
    public string? WasNotCleanReason;
    public int? LocalCloseCode, RemoteCloseCode;
    public byte[]? LocalCloseReason;
    public string? RemoteCloseReason;
    public int AutoFragmentSize;

    /// <summary>permessage-deflate agreed in the opening handshake (sections 12/13), else null: then RSV1 is a protocol error.</summary>
    public Deflate.DeflateSession? Deflate;

    /// <summary>The case being run, if any (control connections of the fuzzing server run none).</summary>
    public CaseBase? Case;

    public long CaseStartTicks, CaseEndTicks;

    private readonly Socket _socket;
    private readonly Channel<OutItem> _out = Channel.CreateUnbounded<OutItem>(new UnboundedChannelOptions { SingleReader = true });
    private readonly TaskCompletionSource _lost = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _abortWrites;

    private byte[] _in = new byte[64 * 1024];
    private int _inStart, _inEnd;
    private bool _headerChecked;

    private bool _insideMessage, _messageBinary, _validateMessage, _messageCompressed;
    private MemoryStream? _message;
    private Utf8Check _utf8;

    // streamed frame state (BeginMessage / BeginMessageFrame / SendMessageFrameData / EndMessage)
    private int _streamOpcode = -1;
    private bool _streamFirstFrame;
    private byte[]? _streamMask;
    private long _streamOffset;

    private readonly record struct OutItem(byte[]? Data, bool Sync, bool Drop);

    public TestConnection(Socket socket, bool isServer)
    {
        _socket = socket;
        IsServer = isServer;
        _socket.NoDelay = true;
    }

    /// <summary>Completes when the TCP connection is gone and the case (if any) was graded.</summary>
    public Task Lost => _lost.Task;

    public double DurationMs => (CaseEndTicks - CaseStartTicks) * 1000.0 / Stopwatch.Frequency;

    /// <summary>Starts the reader and writer after the opening handshake; <paramref name="leftover"/> are octets read past it.</summary>
    public void Start(ReadOnlySpan<byte> leftover)
    {
        lock (Gate)
        {
            State = ConnectionState.Open;
            ConnectionWasOpen = true;
            CaseStartTicks = Stopwatch.GetTimestamp();
            Case?.OnOpen(this);
            if (leftover.Length > 0)
            {
                Log.Add("RO", new object[] { leftover.Length, WireLog.Hex(leftover) });
                Append(leftover);
                Consume();
            }
        }
        _ = Task.Run(WriteLoop);
        _ = Task.Run(ReadLoop);
    }

    // ------------------------------------------------------------------ transport

    private async Task ReadLoop()
    {
        var buffer = new byte[256 * 1024];
        while (true)
        {
            int n;
            try { n = await _socket.ReceiveAsync(buffer.AsMemory(), SocketFlags.None).ConfigureAwait(false); }
            catch (Exception) { break; }
            if (n == 0) break;
            lock (Gate)
            {
                if (State == ConnectionState.Closed) continue;
                Log.Add("RO", new object[] { n, WireLog.Hex(buffer.AsSpan(0, n)) });
                Append(buffer.AsSpan(0, n));
                Consume();
            }
        }
        CloseSocket();
        lock (Gate) ConnectionLost();
    }

    /// <summary>
    /// Drains the send queue. Like wstest's event loop, octets queued together in one step of a case (one callback,
    /// under the gate) leave in ONE write, so e.g. "message, bad frame, ping" reach the peer in one segment; only
    /// synchronous or chopped pieces are written one by one, paced by <see cref="PieceDelay"/>.
    /// </summary>
    private async Task WriteLoop()
    {
        var batch = new List<OutItem>();
        var reader = _out.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            lock (Gate)
            {
                while (reader.TryRead(out var item)) batch.Add(item);
            }
            int i = 0;
            while (i < batch.Count)
            {
                var item = batch[i];
                if (item.Drop) { CloseSocket(); return; }
                if (_abortWrites) { i++; continue; }
                int j = i + 1;
                if (!item.Sync)
                {
                    long total = item.Data!.Length;
                    while (j < batch.Count && !batch[j].Sync && !batch[j].Drop && total + batch[j].Data!.Length <= 1 << 20)
                        total += batch[j++].Data!.Length;
                }
                byte[] octets;
                if (j == i + 1) octets = item.Data!;
                else
                {
                    octets = new byte[batch.Skip(i).Take(j - i).Sum(x => x.Data!.Length)];
                    int at = 0;
                    for (int k = i; k < j; k++) { batch[k].Data!.CopyTo(octets, at); at += batch[k].Data!.Length; }
                }
                try
                {
                    int sent = 0;
                    while (sent < octets.Length)
                        sent += await _socket.SendAsync(octets.AsMemory(sent), SocketFlags.None).ConfigureAwait(false);
                }
                catch (Exception) { CloseSocket(); return; }
                lock (Gate)
                {
                    for (int k = i; k < j; k++) Log.Add("TO", new object[] { batch[k].Data!.Length, WireLog.Hex(batch[k].Data) }, batch[k].Sync);
                }
                if (item.Sync) Pace();
                i = j;
            }
        }
    }

    /// <summary>
    /// The pause after each separately written piece (chopped or synchronous writes). wstest hands control back to its
    /// event loop between such writes, which on this machine class takes about 0.1 ms per piece (its 9.5.1: 16384
    /// pieces in 1.9 s); pacing the same way keeps the peer's view of the timing, which decides some races (3.4, 4.1.5).
    /// </summary>
    public static TimeSpan PieceDelay = TimeSpan.FromTicks(1000); // 100 µs

    private static void Pace()
    {
        if (PieceDelay <= TimeSpan.Zero) return;
        long until = Stopwatch.GetTimestamp() + (long)(PieceDelay.TotalSeconds * Stopwatch.Frequency);
        var spin = new SpinWait();
        while (Stopwatch.GetTimestamp() < until) spin.SpinOnce(sleep1Threshold: -1);
    }

    private int _socketClosed;

    private void CloseSocket()
    {
        if (Interlocked.Exchange(ref _socketClosed, 1) != 0) return;
        try { _socket.Shutdown(SocketShutdown.Both); } catch (Exception) { }
        try { _socket.Close(); } catch (Exception) { }
    }

    /// <summary>Queues raw octets; with <paramref name="chopSize"/> they go out in pieces of that size, each its own write.</summary>
    public void SendData(byte[] data, bool sync = false, int? chopSize = null)
    {
        if (chopSize is > 0 && data.Length > chopSize)
        {
            for (int i = 0; i < data.Length; i += chopSize.Value)
                _out.Writer.TryWrite(new OutItem(data.AsSpan(i, Math.Min(chopSize.Value, data.Length - i)).ToArray(), true, false));
        }
        else
        {
            _out.Writer.TryWrite(new OutItem(data, sync || chopSize is > 0, false));
        }
    }

    /// <summary>Drops the TCP connection (after flushing what is queued, unless <paramref name="abort"/>).</summary>
    public void DropConnection(bool abort)
    {
        if (State == ConnectionState.Closed) return;
        DroppedByMe = true;
        State = ConnectionState.Closed;
        if (abort) { _abortWrites = true; CloseSocket(); }
        else _out.Writer.TryWrite(new OutItem(null, false, true));
    }

    /// <summary>Closes everything from outside (the run's hard time cap): counts as a drop by the tester.</summary>
    public void ForceClose(string reason)
    {
        lock (Gate)
        {
            if (State != ConnectionState.Closed)
            {
                WasClean = false;
                WasNotCleanReason ??= reason;
                DropConnection(abort: true);
            }
        }
        CloseSocket();
    }

    private void ConnectionLost()
    {
        if (_lost.Task.IsCompleted) return;
        State = ConnectionState.Closed;
        if (!WasClean && !DroppedByMe && WasNotCleanReason is null)
            WasNotCleanReason = "peer dropped the TCP connection without a closing handshake";
        CaseEndTicks = Stopwatch.GetTimestamp();
        _out.Writer.TryComplete();
        try { Case?.OnConnectionLost(this); }
        finally
        {
            Deflate?.Dispose();
            _lost.TrySetResult();
        }
    }

    // ------------------------------------------------------------------ timers

    private void Later(double seconds, Action action)
    {
        _ = Task.Delay(TimeSpan.FromSeconds(seconds)).ContinueWith(_ =>
        {
            lock (Gate)
            {
                if (State != ConnectionState.Closed) action();
            }
        }, TaskScheduler.Default);
    }

    /// <summary>After <paramref name="seconds"/>, fail the connection if it is still alive (a case's safety net).</summary>
    public void KillAfter(double seconds)
    {
        Log.Add("KL", seconds);
        Later(seconds, () => { Log.Add("KLE"); FailConnection(); });
    }

    /// <summary>After <paramref name="seconds"/>, start the closing handshake (no code) if still alive.</summary>
    public void CloseAfter(double seconds)
    {
        Log.Add("TI", seconds);
        Later(seconds, () => { Log.Add("TIE"); SendClose(); });
    }

    /// <summary>After <paramref name="seconds"/>, run the next step of a case if still alive.</summary>
    public void ContinueLater(double seconds, Action step, string? tag = null)
    {
        Log.Add("CT", seconds, tag);
        Later(seconds, () => { Log.Add("CTE", tag); step(); });
    }

    // ------------------------------------------------------------------ sending

    private bool MaskOutgoing => !IsServer;

    /// <summary>Sends one frame exactly as described (valid or not). <paramref name="payloadLength"/> repeats the payload.</summary>
    public void SendFrame(int opcode, ReadOnlySpan<byte> payload = default, bool fin = true, int rsv = 0,
        long? payloadLength = null, int? chopSize = null, bool sync = false)
    {
        var frame = FrameCodec.Encode(opcode, payload, fin, rsv, MaskOutgoing, null, payloadLength, out var mask);
        TxFrameStats[opcode] = TxFrameStats.GetValueOrDefault(opcode) + 1;
        Log.Add("TF", new object[] { payload.Length, WireLog.Text(payload) }, opcode, fin, rsv,
            mask is null ? null : Convert.ToHexStringLower(mask), payloadLength, chopSize, sync);
        SendData(frame, sync, chopSize);
    }

    public void SendFrame(int opcode, string text, bool fin = true, int rsv = 0, long? payloadLength = null, int? chopSize = null, bool sync = false)
        => SendFrame(opcode, Encoding.UTF8.GetBytes(text), fin, rsv, payloadLength, chopSize, sync);

    /// <summary>Sends a whole message, split in frames of <paramref name="fragmentSize"/> (or the auto fragment size).</summary>
    /// <remarks>With permessage-deflate agreed, the message is compressed first (RFC 7692 §7.2.1) and the compressed
    /// octets are split (RSV1 on the first frame only), as wstest does.</remarks>
    public void SendMessage(ReadOnlySpan<byte> payload, bool binary, int? fragmentSize = null)
    {
        int opcode = binary ? Opcode.Binary : Opcode.Text;
        int size = fragmentSize ?? (AutoFragmentSize > 0 ? AutoFragmentSize : 0);
        int firstRsv = 0;
        if (Deflate is not null)
        {
            if (State != ConnectionState.Open) return;
            payload = Deflate.Deflater.Compress(payload);
            firstRsv = 4;
        }
        if (size <= 0 || payload.Length <= size)
        {
            SendFrame(opcode, payload, rsv: firstRsv);
            return;
        }
        // As wstest does: a frame is final only when it ends strictly past the payload, so a payload that is an exact
        // multiple of the fragment size ends with an empty final continuation frame.
        int at = 0;
        bool first = true;
        while (true)
        {
            int end = at + size;
            bool done = end > payload.Length;
            if (done) end = payload.Length;
            SendFrame(first ? opcode : Opcode.Continuation, payload[at..end], fin: done, rsv: first ? firstRsv : 0);
            first = false;
            if (done) break;
            at = end;
        }
    }

    /// <summary>Starts a message whose frames are streamed (header first, payload in later pieces).</summary>
    public void BeginMessage(bool binary)
    {
        if (State != ConnectionState.Open) return;
        _streamOpcode = binary ? Opcode.Binary : Opcode.Text;
        _streamFirstFrame = true;
    }

    /// <summary>Sends the header of a non-final frame of <paramref name="length"/> octets of the streamed message.</summary>
    public void BeginMessageFrame(long length)
    {
        if (State != ConnectionState.Open) return;
        _streamMask = MaskOutgoing ? FrameCodec.NewMaskKey() : null;
        _streamOffset = 0;
        int opcode = _streamFirstFrame ? _streamOpcode : Opcode.Continuation;
        _streamFirstFrame = false;
        TxFrameStats[opcode] = TxFrameStats.GetValueOrDefault(opcode) + 1;
        SendData(FrameCodec.EncodeHeader(false, 0, opcode, length, _streamMask));
    }

    /// <summary>Sends payload octets of the frame started by <see cref="BeginMessageFrame"/>.</summary>
    public void SendMessageFrameData(ReadOnlySpan<byte> data)
    {
        if (State != ConnectionState.Open) return;
        var copy = data.ToArray();
        if (_streamMask is not null) FrameCodec.ApplyMask(copy, _streamMask, _streamOffset);
        _streamOffset += copy.Length;
        SendData(copy);
    }

    /// <summary>Ends the streamed message with an empty final continuation frame.</summary>
    public void EndMessage()
    {
        if (State != ConnectionState.Open) return;
        SendFrame(Opcode.Continuation, ReadOnlySpan<byte>.Empty, fin: true);
        _streamOpcode = -1;
    }

    /// <summary>Sends a close frame (any code, even an invalid one) and moves to Closing.</summary>
    public void SendCloseFrame(int? code = null, byte[]? reason = null, bool isReply = false)
    {
        if (State != ConnectionState.Open) return;
        var payload = new byte[(code is null ? 0 : 2) + (reason?.Length ?? 0)];
        if (code is not null) BinaryPrimitives.WriteUInt16BigEndian(payload, (ushort)code.Value);
        reason?.CopyTo(payload, code is null ? 0 : 2);
        SendFrame(Opcode.Close, payload);
        State = ConnectionState.Closing;
        ClosedByMe = !isReply;
        LocalCloseCode = code;
        LocalCloseReason = reason;
        if (ClosedByMe)
        {
            Later(CloseHandshakeTimeout, () =>
            {
                WasClean = false;
                WasNotCleanReason = "peer did not answer our close frame in time";
                WasCloseHandshakeTimeout = true;
                DropConnection(abort: true);
            });
        }
    }

    /// <summary>Starts the closing handshake with an optional code and reason.</summary>
    public void SendClose(int? code = null, string? reason = null)
        => SendCloseFrame(code, reason is null ? null : Encoding.UTF8.GetBytes(reason), isReply: false);

    /// <summary>Fails the connection: a close frame with <paramref name="code"/> if still open, a TCP drop if already closing.</summary>
    public void FailConnection(int code = 1001, string reason = "Going Away")
    {
        if (State == ConnectionState.Closed) return;
        FailedByMe = true;
        if (State != ConnectionState.Closing)
        {
            var bytes = Encoding.UTF8.GetBytes(reason);
            if (bytes.Length > 123) bytes = bytes[..123];
            SendCloseFrame(code, bytes, isReply: false);
        }
        else
        {
            DropConnection(abort: false);
        }
    }

    private void ProtocolViolation(string reason) => FailConnection(1002, reason);
    private void InvalidPayload(string reason) => FailConnection(1007, reason);

    // ------------------------------------------------------------------ receiving

    private void Append(ReadOnlySpan<byte> data)
    {
        if (_inEnd + data.Length > _in.Length)
        {
            int live = _inEnd - _inStart;
            if (live + data.Length > _in.Length)
            {
                var bigger = new byte[Math.Max(_in.Length * 2, live + data.Length)];
                _in.AsSpan(_inStart, live).CopyTo(bigger);
                _in = bigger;
            }
            else
            {
                _in.AsSpan(_inStart, live).CopyTo(_in);
            }
            _inStart = 0;
            _inEnd = live;
        }
        data.CopyTo(_in.AsSpan(_inEnd));
        _inEnd += data.Length;
    }

    private void Consume()
    {
        while (State is ConnectionState.Open or ConnectionState.Closing)
        {
            var buffered = _in.AsSpan(_inStart, _inEnd - _inStart);
            if (!FrameCodec.TryReadHeader(buffered, out var h)) return;
            if (!_headerChecked)
            {
                _headerChecked = true;
                CheckHeader(h);
                if (State == ConnectionState.Closed) return;
            }
            if (buffered.Length < h.HeaderLength + h.PayloadLength) return;
            var payload = buffered.Slice(h.HeaderLength, (int)h.PayloadLength).ToArray();
            _inStart += h.HeaderLength + (int)h.PayloadLength;
            if (_inStart == _inEnd) { _inStart = 0; _inEnd = 0; }
            _headerChecked = false;
            if (h.Masked)
            {
                var key = new byte[4];
                BinaryPrimitives.WriteUInt32BigEndian(key, h.MaskKey);
                FrameCodec.ApplyMask(payload, key, 0);
            }
            OnFrame(h, payload);
        }
    }

    private void CheckHeader(in FrameHeader h)
    {
        bool compressedStart = Deflate is not null && h.Rsv == 4 && !_insideMessage && h.Opcode is Opcode.Text or Opcode.Binary;
        if (h.Rsv != 0 && !compressedStart)
            ProtocolViolation(Deflate is null ? $"RSV = {h.Rsv} and no extension negotiated" : $"RSV = {h.Rsv} not allowed on this frame (permessage-deflate sets RSV1 on a message's first frame only)");
        if (IsServer && !h.Masked) ProtocolViolation("unmasked client-to-server frame");
        if (!IsServer && h.Masked) ProtocolViolation("masked server-to-client frame");
        if (Opcode.IsControl(h.Opcode))
        {
            if (!h.Fin) ProtocolViolation("fragmented control frame");
            if (h.LengthCode > 125) ProtocolViolation("control frame with payload length > 125 octets");
            if (h.Opcode is not (Opcode.Close or Opcode.Ping or Opcode.Pong)) ProtocolViolation($"control frame using reserved opcode {h.Opcode}");
            if (h.Opcode == Opcode.Close && h.LengthCode == 1) ProtocolViolation("close frame with payload length 1");
        }
        else
        {
            if (h.Opcode is not (Opcode.Continuation or Opcode.Text or Opcode.Binary)) ProtocolViolation($"data frame using reserved opcode {h.Opcode}");
            if (!_insideMessage && h.Opcode == Opcode.Continuation) ProtocolViolation("continuation frame outside a fragmented message");
            if (_insideMessage && h.Opcode != Opcode.Continuation) ProtocolViolation("new data frame inside a fragmented message");
        }
        if (h.LengthCode == 126 && h.PayloadLength < 126) ProtocolViolation("payload length not minimally encoded");
        if (h.LengthCode == 127 && h.PayloadLength < 65536) ProtocolViolation("payload length not minimally encoded");
    }

    private void OnFrame(in FrameHeader h, byte[] payload)
    {
        RxFrameStats[h.Opcode] = RxFrameStats.GetValueOrDefault(h.Opcode) + 1;
        Log.Add("RF", new object[] { payload.Length, WireLog.Text(payload) }, h.Opcode, h.Fin, h.Rsv, h.Masked,
            h.Masked ? h.MaskKey.ToString("x8") : null);
        if (Opcode.IsControl(h.Opcode))
        {
            switch (h.Opcode)
            {
                case Opcode.Close:
                    int? code = null;
                    byte[]? reason = null;
                    if (payload.Length > 1) code = BinaryPrimitives.ReadUInt16BigEndian(payload);
                    if (payload.Length > 2) reason = payload[2..];
                    OnCloseFrame(code, reason);
                    break;
                case Opcode.Ping:
                    if (State == ConnectionState.Open) SendFrame(Opcode.Pong, payload);
                    break;
                case Opcode.Pong:
                    if (Case is not null) Case.OnPong(this, payload);
                    break;
            }
            return;
        }

        if (!_insideMessage)
        {
            _insideMessage = true;
            _messageBinary = h.Opcode == Opcode.Binary;
            _validateMessage = h.Opcode == Opcode.Text;
            _messageCompressed = h.Rsv == 4;
            _utf8.Reset();
            _message = new MemoryStream();
        }
        if (_messageCompressed)
        {
            if (!FailedByMe) _message!.Write(payload);
            if (!h.Fin) return;
            var compressed = _message!.ToArray();
            _message = null;
            _insideMessage = false;
            if (FailedByMe || Deflate is null) return;
            if (!Deflate.Inflater.TryInflate(compressed, out var inflated, out var error))
            {
                InvalidPayload("permessage-deflate: " + error);
                return;
            }
            if (_validateMessage && !Utf8Check.IsValid(inflated))
            {
                InvalidPayload("invalid UTF-8 in a compressed text message");
                return;
            }
            Case?.OnMessage(this, inflated, _messageBinary);
            return;
        }
        if (_validateMessage && !_utf8.Feed(payload))
            InvalidPayload("invalid UTF-8 in a text message");
        if (!FailedByMe) _message!.Write(payload);
        if (h.Fin)
        {
            if (_validateMessage && !_utf8.IsComplete)
                InvalidPayload("text message ends inside a UTF-8 sequence or is invalid");
            var message = _message!.ToArray();
            _message = null;
            _insideMessage = false;
            if (!FailedByMe)
            {
                if (Case is not null) Case.OnMessage(this, message, _messageBinary);
            }
        }
    }

    private static bool IsReceivableCloseCode(int code)
        => code is 1000 or 1001 or 1002 or 1003 or 1007 or 1008 or 1009 or 1010 or 1011 || (code >= 3000 && code <= 4999);

    private void OnCloseFrame(int? code, byte[]? reason)
    {
        RemoteCloseCode = code;
        if (code is not null && !IsReceivableCloseCode(code.Value))
            ProtocolViolation($"invalid close code {code}");
        if (reason is null) RemoteCloseReason = null;
        else
        {
            if (!Utf8Check.IsValid(reason)) InvalidPayload("close reason is not valid UTF-8");
            RemoteCloseReason = Encoding.UTF8.GetString(reason);
        }

        switch (State)
        {
            case ConnectionState.Closing:
                WasClean = true;
                if (IsServer) DropConnection(abort: true);
                else
                {
                    Later(ServerDropTimeout, () =>
                    {
                        WasClean = false;
                        WasNotCleanReason = "server did not drop the TCP connection in time";
                        WasServerConnectionDropTimeout = true;
                        DropConnection(abort: true);
                    });
                }
                break;
            case ConnectionState.Open:
                WasClean = true;
                SendCloseFrame(1000, null, isReply: true);
                if (IsServer) DropConnection(abort: false);
                break;
            case ConnectionState.Closed:
                WasClean = false;
                break;
        }
    }
}
