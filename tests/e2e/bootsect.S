/* Boot sector of the e2e suite's small disk: a client that pxehub ignores
 * falls through to it, and it prints a marker on COM1 (QEMU's -serial) and
 * halts.  Built by lab.sh: as --32 + ld -Ttext 0x7c00 --oformat binary. */
	.code16
	.text
	.globl _start
_start:
	cli
	xorw	%ax, %ax
	movw	%ax, %ds
	movw	$msg, %si
	movw	$0x3f8, %dx		/* COM1 data port; QEMU needs no UART setup */
	cld
1:	lodsb
	testb	%al, %al
	jz	2f
	outb	%al, %dx
	jmp	1b
2:	hlt
	jmp	2b
msg:	.asciz	"\r\nPXH-E2E-DISK-OK boot sector reached\r\n"
	.org	510
	.byte	0x55, 0xaa
