// Copies the node and credential icons next to the compiled files in dist/.
const path = require('path');
const { src, dest, task } = require('gulp');

task('build:icons', function copyIcons() {
	const nodeIcons = src('nodes/**/*.{png,svg}', { encoding: false }).pipe(dest(path.resolve('dist', 'nodes')));
	nodeIcons.on('end', () => undefined);
	return src('credentials/**/*.{png,svg}', { encoding: false }).pipe(dest(path.resolve('dist', 'credentials')));
});
